import Foundation
import Testing

@testable import Annals

/// `rebuild --verify` of a view another process left behind (an application's own projection, with `annals append`
/// from a script): the current view is compared as it would read, caught up to the log head, not where it was left.
@Suite("CLI: rebuild --verify of a view left behind")
struct CLIRebuildVerifyBehindTests {
    /// Counts events in one 8-byte record, and fails on a record of another size (a damaged view).
    struct StrictCounter: Projection {
        struct Damaged: Error, CustomStringConvertible {
            var description: String { "the count is not 8 bytes" }
        }
        let name = "strict-count"
        let version = 1
        let tableNames = ["count"]

        func mayReject(eventType: String) -> Bool { false }

        func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
            var count: UInt64 = 0
            if let stored = try tables.get(ProjectionTable(0), key: CLIViewCatchUpTests.EventCounter.key) {
                guard stored.count == 8 else { throw Damaged() }
                count = CLIViewCatchUpTests.EventCounter.decode(stored)
            }
            try tables.put(
                ProjectionTable(0), key: CLIViewCatchUpTests.EventCounter.key, value: (count + 1).bigEndianBytes)
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func theViewLeftBehindIsComparedCaughtUp() throws {
        try withCLIFixture { fx in
            let store = try CLIViewCatchUpTests.open(fx.store)
            defer { store.close() }
            _ = try store.appendAndWait((0..<5).map { NewEvent(type: "item.created", targetId: "t\($0)") })
            try fx.append(sampleLines(3))
            #expect(try CLIViewCatchUpTests.checkpoint(store) == 5, "left behind by the CLI's appends")
            let result = try #require(try store.rebuild(["event-count"], verify: true).first)
            #expect(result.checkpoint == 8)
            #expect(result.differences.isEmpty, "\(result.differences)")
            #expect(result.previousDigest != nil && result.previousDigest == result.digest)
            #expect(try CLIViewCatchUpTests.count(store) == 8)
        }
    }

    /// A view left behind whose catch-up fails (its record damaged) cannot be compared at the head: the rebuild
    /// replaces it all the same and says why it did not match.
    @Test(.timeLimit(.minutes(5)))
    func aViewLeftBehindThatCannotCatchUpDoesNotMatch() throws {
        try withCLIFixture { fx in
            let store = try EventStore(
                path: fx.store, options: StoreOptions(projections: [StrictCounter()], snapshotInterval: 0))
            defer { store.close() }
            _ = try store.appendAndWait((0..<5).map { NewEvent(type: "item.created", targetId: "t\($0)") })
            try fx.append(sampleLines(3))
            try store.write { txn in
                let entry = try #require(store.projections.entries.first { $0.name == "strict-count" })
                let slot = try #require(try store.projections.state("strict-count", txn.handle)).slot
                try store.projections.tables(entry, slot: slot, txn.handle).put(
                    ProjectionTable(0), key: CLIViewCatchUpTests.EventCounter.key, value: [1, 2, 3])
            }
            let result = try #require(try store.rebuild(["strict-count"], verify: true).first)
            let failure = try #require(result.previousCatchUpFailure)
            #expect(
                failure.contains("it was at offset 5") && failure.contains("replaying offset 6 (item.created) failed"),
                "\(failure)")
            #expect(failure.contains("the count is not 8 bytes"), "\(failure)")
            let count = try store.read(projection: "strict-count") { tables in
                try tables.get(ProjectionTable(0), key: CLIViewCatchUpTests.EventCounter.key)
            }
            #expect(count == UInt64(8).bigEndianBytes, "the rebuilt view replaced it")
        }
    }
}
