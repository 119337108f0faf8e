import Foundation
import Testing

@testable import Annals

/// An application's own projection, and `annals append` from another process (which registers only the built-in
/// ones): the application's view is caught up while its store stays open, by a read of it or after its next append.
@Suite("CLI: views another process left behind")
struct CLIViewCatchUpTests {
    /// Counts the events it sees, in one record; fails while replaying offset `failing` (if set). It never rejects
    /// an event, and says so unless `rejects` (``Projection/mayReject(eventType:)``): appends then go on while its
    /// view is behind.
    struct EventCounter: Projection {
        struct Failure: Error, CustomStringConvertible {
            var description: String { "the counter refuses this offset" }
        }
        let name = "event-count"
        let version = 1
        let tableNames = ["count"]
        let failing: UInt64?
        /// How many events it was asked to replay.
        let replayed: Locked<Int>
        /// What ``mayReject(eventType:)`` says of every type.
        let rejects: Bool

        init(failing: UInt64? = nil, replayed: Locked<Int> = Locked(0), rejects: Bool = false) {
            self.failing = failing
            self.replayed = replayed
            self.rejects = rejects
        }

        /// ``rejects``, for every type.
        func mayReject(eventType: String) -> Bool { rejects }

        func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
            if context.mode == .replay {
                replayed.withLock { $0 += 1 }
                if event.offset == failing { throw Failure() }
            }
            let count = try tables.get(ProjectionTable(0), key: Self.key).map(Self.decode) ?? 0
            try tables.put(ProjectionTable(0), key: Self.key, value: (count + 1).bigEndianBytes)
        }

        static let key = Array("events".utf8)

        static func decode(_ bytes: [UInt8]) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
    }

    /// The application's count, read through its store.
    static func count(_ store: EventStore) throws -> UInt64? {
        try store.read(projection: "event-count") { tables in
            try tables.get(ProjectionTable(0), key: EventCounter.key).map(EventCounter.decode)
        }
    }

    /// Where the application's view stands, read without catching it up.
    static func checkpoint(_ store: EventStore) throws -> UInt64? {
        try store.environment.read { txn in try store.projections.state("event-count", txn.handle)?.checkpoint }
    }

    static func open(_ path: String, _ counter: EventCounter = EventCounter()) throws -> EventStore {
        try EventStore(path: path, options: StoreOptions(projections: [counter], snapshotInterval: 0))
    }

    @Test(.timeLimit(.minutes(5)))
    func aReadCatchesUpTheViewAnotherProcessLeftBehind() throws {
        try withCLIFixture { fx in
            let store = try Self.open(fx.store)
            defer { store.close() }
            _ = try store.appendAndWait((0..<5).map { NewEvent(type: "item.created", targetId: "t\($0)") })
            try fx.append(sampleLines(3))
            // It failed with "it is at offset 5, behind the log head 8; a writable open catches it up".
            #expect(try Self.count(store) == 8)
            #expect(try Self.checkpoint(store) == 8)
            // And appends apply it again.
            _ = try store.appendAndWait([NewEvent(type: "item.created")])
            #expect(try Self.checkpoint(store) == 9)
            #expect(try Self.count(store) == 9)
        }
    }

    /// More than a replay chunk behind, so the catch-up replays in memory and flushes before the writer finishes it.
    @Test(.timeLimit(.minutes(5)))
    func anAppendCatchesUpTheViewInTheBackground() throws {
        try withCLIFixture { fx in
            let store = try Self.open(fx.store)
            defer { store.close() }
            _ = try store.appendAndWait((0..<5).map { NewEvent(type: "item.created", targetId: "t\($0)") })
            let behind = ProjectionRebuilder.defaultChunkSize + 1_000
            try fx.append(sampleLines(behind))
            // The group found the view behind and did not apply it; the catch-up it started replays everything.
            let receipt = try store.appendAndWait([NewEvent(type: "item.created")])[0]
            #expect(receipt.offset == UInt64(5 + behind + 1))
            #expect(try waitUntil(timeout: 60) { try Self.checkpoint(store) == receipt.offset })
            #expect(try Self.count(store) == receipt.offset)
        }
    }

    /// A close while the background catch-up replays: it ends after its current stretch (what it flushed is kept),
    /// and the next open catches up the rest, to the same count.
    @Test(.timeLimit(.minutes(5)))
    func aCloseDuringABackgroundCatchUpLosesNothing() throws {
        try withCLIFixture { fx in
            let behind = 40_000
            do {
                let store = try Self.open(fx.store)
                _ = try store.appendAndWait([NewEvent(type: "item.created")])
                try fx.append(sampleLines(behind))
                // Starts the catch-up in the background, which the close interrupts.
                _ = try store.appendAndWait([NewEvent(type: "item.created")])
                // A moment into the replay (on this machine, the close then came after its first flush, at 32,769).
                usleep(300_000)
                store.close()
            }
            let reopened = try Self.open(fx.store)
            defer { reopened.close() }
            #expect(try Self.checkpoint(reopened) == UInt64(behind + 2))
            #expect(try Self.count(reopened) == UInt64(behind + 2))
        }
    }

    /// Whether `error` is the failure of the counter's catch-up from offset 5 to 8, at offset 7 (`failing: 7`).
    static func isFailedCatchUpFrom5(_ error: any Error) -> Bool {
        guard case .projectionUnavailable("event-count", let reason) = error as? AnnalsError else { return false }
        return reason.contains("it is at offset 5, behind the log head 8, and catching it up failed")
            && reason.contains("replaying offset 7") && reason.contains("the counter refuses this offset")
    }

    @Test(.timeLimit(.minutes(5)))
    func aFailedCatchUpIsReportedAndNotRetried() throws {
        try withCLIFixture { fx in
            let replayed = Locked(0)
            do {
                let store = try Self.open(fx.store)
                _ = try store.appendAndWait((0..<5).map { _ in NewEvent(type: "item.created") })
                store.close()
            }
            let store = try Self.open(fx.store, EventCounter(failing: 7, replayed: replayed))
            defer { store.close() }
            try fx.append(sampleLines(3))
            let failure = Self.isFailedCatchUpFrom5
            #expect(performing: { try Self.count(store) }, throws: failure)
            let attempts = replayed.withLock { $0 }
            #expect(attempts == 2)
            // Neither the next read nor an append tries again from where the view stands.
            #expect(performing: { try Self.count(store) }, throws: failure)
            _ = try store.appendAndWait([NewEvent(type: "item.created")])
            usleep(200_000)
            #expect(replayed.withLock { $0 } == attempts)
            #expect(try Self.checkpoint(store) == 5)
            // The other events were appended all the same, and the log is intact.
            #expect(try store.head().offset == 9)
        }
    }

    /// An application's knowledge view with an embedder of its own, and `annals append` (the default embedder):
    /// the CLI's open rebuilt that view with its own embedder, leaving it outdated for the application. It now leaves
    /// it (`OutdatedProjectionPolicy.rebuildOtherVersions`), and the application catches it up. (The knowledge events
    /// that view checks are appended by the application: `CLIAppendsCheckedByViewsNotLiveTests`.)
    @Test(.timeLimit(.minutes(5)))
    func theCLILeavesAnApplicationsKnowledgeViewToIt() throws {
        try withCLIFixture { fx in
            let options = StoreOptions(
                projections: OntologyProjections.standard(embedder: FeatureHashingEmbedder(dimensions: 64)),
                snapshotInterval: 0)
            let store = try EventStore(path: fx.store, options: options)
            defer { store.close() }
            _ = try store.appendAndWait([
                NewEvent(type: "thing.created", targetId: "t-1", metadata: ["thingType": "doc"]),
                NewEvent(type: "knowledge.added", targetId: "k-1", metadata: ["thingId": "t-1", "text": "lmdb pages"]),
            ])
            try fx.append([eventLine(type: "thing.created", target: "t-2", metadata: #"{"thingType":"doc"}"#)])
            _ = try store.appendAndWait([
                NewEvent(type: "knowledge.added", targetId: "k-2", metadata: ["thingId": "t-2", "text": "zstd frames"])
            ])
            // It failed: "the view was built with configuration 'feature-hashing-v1-384;f16', this code uses
            // 'feature-hashing-v1-64;f16'".
            #expect(try store.knowledge().map(\.id).sorted() == ["k-1", "k-2"])
            #expect(try store.search(SearchQuery("zstd")).first?.item.id == "k-2")
            // The CLI, with the default embedder, cannot read that view: it says so, and the view stays as it is.
            let cli = try fx.annals("knowledge")
            #expect(cli.status == 9, "\(cli)")
            #expect(cli.errors.contains("configuration"), "\(cli)")
            #expect(try store.knowledge().count == 2)
            // Things and connections need no embedder: the CLI reads them all the same (it exited 9 too).
            let things = try fx.annals("things")
            #expect(things.status == Exit.ok, "\(things)")
            #expect(try things.objects().map { $0.string("id") } == ["t-1", "t-2"])
        }
    }

    /// A knowledge view left behind by an application that does not register it: a read-only open (`annals things`)
    /// cannot catch it up, and it fails only the knowledge queries. It failed every ontology query (exit 9).
    @Test(.timeLimit(.minutes(5)))
    func aReadOnlyOpenReadsThingsPastAKnowledgeViewBehind() throws {
        try withCLIFixture { fx in
            let thing = { (id: String) in NewEvent(type: "thing.created", targetId: id, metadata: ["thingType": "doc"])
            }
            do {
                let store = try EventStore(path: fx.store, options: StoreOptions(snapshotInterval: 0))
                _ = try store.appendAndWait([thing("t-1")])
                store.close()
            }
            do {
                let withoutKnowledge: [any Projection] = [ThingsProjection(), ConnectionsProjection()]
                let store = try EventStore(
                    path: fx.store, options: StoreOptions(projections: withoutKnowledge, snapshotInterval: 0))
                _ = try store.appendAndWait([thing("t-2")])
                store.close()
            }
            let things = try fx.annals("things")
            #expect(things.status == Exit.ok, "\(things)")
            #expect(try things.objects().map { $0.string("id") } == ["t-1", "t-2"])
            let knowledge = try fx.annals("knowledge")
            #expect(knowledge.status == Exit.projectionUnavailable, "\(knowledge)")
            #expect(knowledge.errors.contains("behind the log head 2; a writable open catches it up"), "\(knowledge)")
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func aReadOnlyStoreStillSaysAWritableOpenCatchesItUp() throws {
        try withCLIFixture { fx in
            do {
                let store = try Self.open(fx.store)
                _ = try store.appendAndWait([NewEvent(type: "item.created")])
                store.close()
            }
            try fx.append(sampleLines(2))
            let reader = try EventStore(
                path: fx.store, options: StoreOptions(readOnly: true, projections: [EventCounter()]))
            defer { reader.close() }
            #expect {
                try Self.count(reader)
            } throws: { error in
                guard case .projectionUnavailable("event-count", let reason) = error as? AnnalsError else {
                    return false
                }
                return reason == "it is at offset 1, behind the log head 3; a writable open catches it up"
            }
        }
    }
}
