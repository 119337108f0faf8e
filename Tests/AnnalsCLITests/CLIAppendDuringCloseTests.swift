import Foundation
import Testing

@testable import Annals

/// An append made once `close()` has begun fails with `closed`, also while the close still waits for the store's
/// background work (here, the catch-up of a view `annals append` left behind): before, it was committed and
/// acknowledged after the store's reads and subscriptions had already ended with `closed`.
@Suite("CLI: appends while a close waits for background work")
struct CLIAppendDuringCloseTests {
    /// Holds its replay (the catch-up) inside `apply` until released.
    final class Gate: @unchecked Sendable {
        private let condition = NSCondition()
        private var entered = false
        private var released = false

        /// Called by the projection: says it entered, then waits for ``release()``.
        func hold() {
            condition.lock()
            entered = true
            condition.broadcast()
            while !released { condition.wait() }
            condition.unlock()
        }

        /// Waits until the projection is held, for at most `seconds`; whether it is.
        func awaitEntered(seconds: TimeInterval) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            let deadline = Date().addingTimeInterval(seconds)
            while !entered { if !condition.wait(until: deadline) { return entered } }
            return true
        }

        /// Lets the projection go on, now and from then on.
        func release() {
            condition.lock()
            released = true
            condition.broadcast()
            condition.unlock()
        }
    }

    /// A projection noting the offsets it sees, whose replay of offset 2 (the first event a catch-up replays here)
    /// waits at `gate`.
    struct GatedProjection: Projection {
        let name = "gated"
        let version = 1
        let tableNames = ["seen"]
        let gate: Gate

        /// It rejects nothing: appends go on while its view is behind (and its catch-up held).
        func mayReject(eventType: String) -> Bool { false }

        func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
            if context.mode == .replay && event.offset == 2 { gate.hold() }
            try tables.put(ProjectionTable(0), key: event.offset.bigEndianBytes, value: [1])
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func anAppendAfterCloseBeganFailsWithClosed() throws {
        try withCLIFixture { fx in
            let gate = Gate()
            let store = try EventStore(
                path: fx.store,
                options: StoreOptions(
                    projections: OntologyProjections.standard + [GatedProjection(gate: gate)], snapshotInterval: 0))
            defer { store.close() }
            // Before the close above (defers run last first): a failed expectation must not leave the catch-up held.
            defer { gate.release() }
            _ = try store.appendAndWait([NewEvent(type: "item.created")])
            // Another process appends without the projection: its view is left behind, and the next append here
            // starts catching it up in the background, where the gate holds it. More than a replay chunk behind, so
            // that the catch-up replays in memory on its own thread first, not in the writer's transaction.
            try fx.append(sampleLines(ProjectionRebuilder.defaultChunkSize + 1_000))
            _ = try store.appendAndWait([NewEvent(type: "item.created")])
            try #require(gate.awaitEntered(seconds: 60), "the catch-up did not start")

            let closing = Thread { store.close() }
            closing.start()
            try #require(waitUntil(timeout: 60, interval: 0.001) { store.isClosed })
            let head = try store.environment.read { txn in try txn.lastOffset(store.schema) }

            #expect(throws: AnnalsError.closed) { _ = try store.appendAndWait([NewEvent(type: "item.created")]) }
            let after = try store.environment.read { txn in try txn.lastOffset(store.schema) }
            #expect(after == head, "nothing was committed after the close began")
            gate.release()
        }
    }
}
