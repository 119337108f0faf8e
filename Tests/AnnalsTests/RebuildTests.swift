import Foundation
import Testing

@testable import Annals

/// Rebuilding projections from the log equals the live state; outdated projections are rebuilt or refused.
@Suite struct RebuildTests {
    /// Appends random batches; returns the live dump after each accepted batch, by head offset.
    static func appendRandom(
        _ store: EventStore, seed: UInt64, batches: Int
    ) async throws -> [UInt64: String] {
        var generator = RandomOntology(seed: seed)
        var dumps: [UInt64: String] = [:]
        for _ in 0..<batches {
            let (events, valid) = generator.batch()
            do {
                _ = try await store.append(contentsOf: events)
                generator.commit(events)
                #expect(valid, "an invalid batch was accepted: \(events.map(\.type))")
            } catch {
                guard case .rejectedEvent = error else { throw error }
                #expect(!valid, "a valid batch was rejected: \(error)")
            }
            generator.retain(connections: Set(try store.connections(ConnectionFilter(limit: .max)).map(\.id)))
            let head = try store.head().offset
            dumps[head] = try store.read { try dump($0) }
        }
        return dumps
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func rebuildEqualsLiveStateForRandomHistories(seed: UInt64) async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await Self.appendRandom(store, seed: seed, batches: 150)
            let live = try store.read { try dump($0) }
            let results = try store.rebuild(verify: true)
            #expect(results.map(\.name) == ["things", "connections", "knowledge"])
            for result in results {
                #expect(result.digest != nil && result.digest == result.previousDigest, "\(result.name)")
                #expect(result.differences.isEmpty, "\(result.differences)")
            }
            #expect(try store.read { try dump($0) } == live)
        }
    }

    @Test func smallInMemoryReplaysAndFlushesEqualTheLiveState() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await Self.appendRandom(store, seed: 4, batches: 150)
            let live = try store.read { try dump($0) }
            let rebuilder = ProjectionRebuilder(store: store, kind: .rebuild, chunkSize: 16, flushInterval: 64...128)
            let results = try rebuilder.run(["things", "connections", "knowledge"], verify: true)
            for result in results {
                #expect(result.digest != nil && result.digest == result.previousDigest, "\(result.name)")
                #expect(result.differences.isEmpty, "\(result.differences)")
            }
            #expect(try store.read { try dump($0) } == live)
        }
    }

    @Test func aRebuildThatFailsHalfwayResumesFromItsLastFlush() async throws {
        let failing = FailureSwitch()
        let options = StoreOptions(
            projections: OntologyProjections.standard + [Flaky(failing: failing)], snapshotInterval: 0)
        try await withStore(options) { store, _ in
            _ = try await Self.appendRandom(store, seed: 5, batches: 150)
            let head = try store.head().offset
            let live = try store.read { try dump($0) }
            let names = ["things", "flaky"]
            failing.offset = head / 2
            let failed = try #require(try store.event(at: head / 2))
            #expect {
                try ProjectionRebuilder(store: store, kind: .rebuild, chunkSize: 16, flushInterval: 64...128).run(names)
            } throws: { error in
                // The message names the event's offset and type.
                guard case .projectionUnavailable("flaky", let reason) = error as? AnnalsError else { return false }
                return reason.hasPrefix("replaying offset \(head / 2) (\(failed.type)) failed")
            }
            failing.offset = nil
            let results = try ProjectionRebuilder(store: store, kind: .rebuild, chunkSize: 16, flushInterval: 64...128)
                .run(names, verify: true)
            #expect(results.map(\.resumed) == [true, true])
            for result in results {
                #expect(result.checkpoint == head)
                #expect(result.digest == result.previousDigest && result.differences.isEmpty, "\(result.name)")
            }
            #expect(try store.read { try dump($0) } == live)
        }
    }

    @Test func rebuildSeesAppendsMadeWhileItRuns() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: (0..<20_000).map { Vocabulary.thing("t\($0)") })
            let appender = Task {
                for i in 0..<200 { _ = try await store.append(Vocabulary.update("t\(i)", status: "late")) }
            }
            let results = try store.rebuild(["things"])
            try await appender.value
            #expect(results.first?.name == "things")
            #expect(try store.things(ThingFilter(status: "late", limit: .max)).count == 200)
            #expect(try store.things(ThingFilter(limit: .max)).count == 20_000)
            let verified = try store.rebuild(["things"], verify: true)
            #expect(verified[0].differences.isEmpty && verified[0].digest == verified[0].previousDigest)
        }
    }

    @Test func differencesAreListedWhenTheViewDisagrees() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: [Vocabulary.thing("a"), Vocabulary.thing("b")])
            // Damage the live view behind the projection's back.
            let entry = store.projections.entry("things")!
            try store.write { txn in
                let slot = try store.projections.state("things", txn.handle)!.slot
                try txn.delete(entry.slots[Int(slot)][0], key: Array("b".utf8))
                try txn.put(entry.slots[Int(slot)][0], key: Array("zz".utf8), value: [1])
            }
            let result = try store.rebuild(["things"], verify: true)[0]
            #expect(result.digest != result.previousDigest)
            #expect(result.differences.map(\.description).contains("things: 'b' only in rebuilt"))
            #expect(result.differences.map(\.description).contains("things: 'zz' only in current"))
            #expect(try store.thing("b") != nil)
        }
    }

    @Test func aRebuildReplacesAViewWithDamagedLeavesButWillNotCompareWithIt() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let options = StoreOptions(snapshotInterval: 0)
            do {
                let store = try EventStore(path: path, options: options)
                defer { store.close() }
                _ = try await store.append(contentsOf: (0..<300).map { Vocabulary.thing("dmg-\($0)") })
            }
            // The things table's leaves: LMDB would read their nodes through the broken bounds.
            let damaged = try Self.breakLeafPages(in: path + "/data.mdb", whoseFirstKeyStartsWith: "dmg-")
            try #require(damaged > 0)
            let store = try EventStore(path: path, options: options)
            defer { store.close() }
            do {
                _ = try store.rebuild(["things"], verify: true)
                Issue.record("a rebuild compared the rebuilt view with a damaged one")
            } catch {
                #expect("\(error)".contains("the current view's pages are damaged"), "\(error)")
                #expect("\(error)".contains("rebuild without --verify to replace it"), "\(error)")
            }
            _ = try store.rebuild(["things"])
            #expect(try store.things(ThingFilter(limit: 1_000)).count == 300)
            let remaining = try store.environment.checkStructure()
            #expect(remaining == [], "the damaged pages were freed with the old view: \(remaining)")
        }
    }

    /// Sets `mp_lower` past the end of every leaf page whose first key starts with `prefix` and holds a value longer
    /// than 16 bytes; returns how many.
    private static func breakLeafPages(in file: String, whoseFirstKeyStartsWith prefix: String) throws -> Int {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        var damaged = 0
        for page in 2..<bytes.count / pageSize {
            let start = page * pageSize
            let flags = u16(start + 10)
            guard flags & 0x02 != 0, flags & 0x04 == 0, u16(start + 12) > 16 else { continue }
            let node = start + u16(start + 16)
            let key = bytes[(node + 8)..<min(node + 8 + u16(node + 6), start + pageSize)]
            // The `streams` table has the same keys, with 8-byte versions for values; a thing record is longer.
            guard key.starts(with: Array(prefix.utf8)), u16(node) > 16 else { continue }
            bytes[start + 12] = 0xFF
            bytes[start + 13] = 0xFF
            damaged += 1
        }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return damaged
    }

    @Test func aDamagedViewRecordNamesTheProjectionToRebuild() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(Vocabulary.thing("a"))
            let entry = store.projections.entry("things")!
            try store.write { txn in
                let slot = try store.projections.state("things", txn.handle)!.slot
                try txn.put(entry.slots[Int(slot)][0], key: Array("a".utf8), value: [9, 9])
            }
            #expect(
                throws: AnnalsError.projectionUnavailable(
                    name: "things", reason: "the things record 'a' is malformed; run 'annals rebuild things'")
            ) { try store.thing("a") }
            _ = try store.rebuild(["things"])
            #expect(try store.thing("a")?.thingType == "device")
        }
    }

    @Test func aBumpedVersionIsRebuiltOnOpenOrRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            do {
                let store = try EventStore(path: path, options: StoreOptions(projections: [TypeCounter(version: 1)]))
                _ = try await store.append(contentsOf: (0..<30).map { sampleEvent($0) })
                store.close()
            }
            do {
                let refused = Result { () throws(AnnalsError) in
                    try EventStore(
                        path: path,
                        options: StoreOptions(projections: [TypeCounter(version: 2)], outdatedProjections: .refuse))
                }
                guard case .failure(.projectionUnavailable(let name, let reason)) = refused else {
                    Issue.record("the outdated projection was not refused")
                    return
                }
                // A custom projection: the CLI cannot rebuild it, so the advice is the open (or the API) that can.
                #expect(name == "type-counts" && reason.contains("version 1"))
                #expect(reason.contains("outdatedProjections: .rebuild") && !reason.contains("run 'annals rebuild"))
            }
            let store = try EventStore(path: path, options: StoreOptions(projections: [TypeCounter(version: 2)]))
            defer { store.close() }
            let counts = try store.environment.read { txn in
                let state = try store.projections.state("type-counts", txn.handle)!
                #expect(state.version == 2 && state.checkpoint == 30)
                let tables = store.projections.tables(
                    store.projections.entry("type-counts")!, slot: state.slot, txn.handle)
                return try tables.get(ProjectionTable(0), key: Array("item.created".utf8))
            }
            #expect(counts == [16])  // version 2 counts twice per event
        }
    }

    @Test func aProjectionAddedToAnExistingStoreCatchesUp() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            do {
                let store = try EventStore(path: path, options: StoreOptions(projections: []))
                _ = try await store.append(contentsOf: (0..<40).map { sampleEvent($0) })
                store.close()
            }
            let store = try EventStore(path: path, options: StoreOptions(projections: [TypeCounter(version: 1)]))
            defer { store.close() }
            _ = try await store.append(sampleEvent(0))
            let count = try store.environment.read { txn in
                let state = try store.projections.state("type-counts", txn.handle)!
                #expect(state.checkpoint == 41)
                let tables = store.projections.tables(
                    store.projections.entry("type-counts")!, slot: state.slot, txn.handle)
                return try tables.get(ProjectionTable(0), key: Array("item.created".utf8))
            }
            #expect(count == [11])
        }
    }
}

/// A custom projection: counts events per type (version 2 counts each event twice, to tell rebuilds apart).
struct TypeCounter: Projection {
    let name = "type-counts"
    let version: Int
    let tableNames = ["counts"]

    /// Opens the store at `path` with the built-in projections and this one at `version`, without automatic
    /// snapshots.
    static func open(_ path: String, version: Int) throws -> EventStore {
        try EventStore(
            path: path,
            options: StoreOptions(
                projections: OntologyProjections.standard + [TypeCounter(version: version)], snapshotInterval: 0))
    }

    /// Opens the store at `path` with this projection at `version`, appends the sample events `events`, takes a
    /// snapshot and closes the store again; returns the snapshot.
    static func snapshot(
        _ path: String, version: Int, after events: Range<Int>
    ) async throws -> SnapshotInfo {
        let store = try open(path, version: version)
        defer { store.close() }
        _ = try await store.append(contentsOf: events.map { sampleEvent($0) })
        return try store.createSnapshot()
    }

    /// The counts `tables` (of this projection) hold, by type.
    static func counts(_ tables: any ProjectionReader) throws -> [String: UInt8] {
        var counts: [String: UInt8] = [:]
        try tables.scan(ProjectionTable(0), prefix: []) { key, value in
            counts[String(decoding: key, as: UTF8.self)] = value.first
            return true
        }
        return counts
    }

    func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
        let key = Array(event.type.utf8)
        let current = try tables.get(ProjectionTable(0), key: key)?.first ?? 0
        try tables.put(ProjectionTable(0), key: key, value: [current &+ UInt8(version)])
    }
}

/// When set, ``Flaky`` fails at this offset while replaying.
final class FailureSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64?
    var offset: UInt64? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// A custom projection that records every event's offset, and fails while replaying one chosen offset.
struct Flaky: Projection {
    struct Failure: Error {}
    let name = "flaky"
    let version = 1
    let tableNames = ["offsets"]
    let failing: FailureSwitch

    func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
        if context.mode == .replay, event.offset == failing.offset { throw Failure() }
        try tables.put(ProjectionTable(0), key: event.offset.bigEndianBytes, value: [])
    }
}

/// A custom projection that refuses one event type, and fails with its own error on another.
struct Gatekeeper: Projection {
    struct Broken: Error {}
    let name = "gatekeeper"
    let version = 1
    let tableNames = ["seen"]

    func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
        try tables.put(ProjectionTable(0), key: Array(event.id.uuidString.utf8), value: [1])
        if context.mode == .live && event.type == "forbidden" {
            throw ProjectionRejection(field: "type", "forbidden events are not accepted")
        }
        if context.mode == .live && event.type == "broken" { throw Broken() }
    }
}

/// A custom projection that writes to a table it did not declare when an event asks for it.
struct OutOfBounds: Projection {
    let name = "out-of-bounds"
    let version = 1
    let tableNames = ["only"]

    func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
        let table = ProjectionTable(event.type == "stray" ? 3 : 0)
        try tables.put(table, key: event.offset.bigEndianBytes, value: Array(event.type.utf8))
    }
}

@Suite struct CustomProjectionTests {
    @Test func aTableOutsideTableNamesFailsTheBatchNotTheProcess() async throws {
        try await withStore(StoreOptions(projections: [OutOfBounds()])) { store, _ in
            _ = try await store.append(NewEvent(type: "fine"))
            do {
                _ = try await store.append(contentsOf: [NewEvent(type: "fine"), NewEvent(type: "stray")])
                Issue.record("a write to an undeclared table was accepted")
            } catch {
                // Named as that event's rejection: its batch index and type.
                guard case .rejectedEvent(1, "stray", "out-of-bounds", let message) = error as? AnnalsError else {
                    throw error
                }
                #expect(message.contains("projection table 3 does not exist"), "\(message)")
                #expect(message.contains("declares 1 in tableNames (0–0)"), "\(message)")
            }
            #expect(try store.head().offset == 1)
            _ = try await store.append(NewEvent(type: "fine"))
            let stored = try store.read(projection: "out-of-bounds") { tables in
                try tables.keys(ProjectionTable(0), prefix: [])
            }
            #expect(stored == [UInt64(1).bigEndianBytes, UInt64(2).bigEndianBytes])
            #expect(throws: AnnalsError.self) {
                try store.read(projection: "out-of-bounds") { try $0.get(ProjectionTable(1), key: [1]) }
            }
        }
    }

    @Test func aCustomViewIsReadBackThroughThePublicAPI() async throws {
        try await withStore(StoreOptions(projections: OntologyProjections.standard + [TypeCounter(version: 1)])) {
            store, _ in
            _ = try await store.append(contentsOf: (0..<3).map { _ in NewEvent(type: "order.created") })
            let count = try store.read(projection: "type-counts") { tables in
                try tables.get(ProjectionTable(0), key: Array("order.created".utf8))
            }
            #expect(count == [3])
            #expect(try store.read(projection: "things") { try $0.keys(ThingsProjection.things, prefix: []) } == [])
            #expect {
                try store.read(projection: "no-such-view") { _ in 0 }
            } throws: { error in
                guard case .projectionUnavailable(let name, _) = error as? AnnalsError else { return false }
                return name == "no-such-view"
            }
        }
    }

    @Test func aCustomProjectionRejectsABatchAndItsWritesAreUndone() async throws {
        try await withStore(StoreOptions(projections: [Gatekeeper()])) { store, _ in
            _ = try await store.append(NewEvent(type: "fine"))
            for type in ["forbidden", "broken"] {
                do {
                    _ = try await store.append(contentsOf: [NewEvent(type: "fine"), NewEvent(type: type)])
                    Issue.record("\(type) was accepted")
                } catch {
                    guard case .rejectedEvent(1, type, "gatekeeper", let reason) = error as? AnnalsError else {
                        Issue.record("unexpected \(error)")
                        continue
                    }
                    #expect(reason.contains(type == "forbidden" ? "forbidden events" : "apply failed"))
                }
            }
            let seen = try store.environment.read { txn in
                let entry = store.projections.entry("gatekeeper")!
                let state = try store.projections.state("gatekeeper", txn.handle)!
                return try txn.statistics(entry.slots[Int(state.slot)][0]).entries
            }
            #expect(seen == 1, "only the first event's write survived")
            #expect(try store.head().offset == 1)
        }
    }
}
