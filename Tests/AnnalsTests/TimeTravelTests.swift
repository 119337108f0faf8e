import Foundation
import Testing

@testable import Annals

/// Snapshots, the state as of an offset, and rollback by compensating events.
@Suite struct TimeTravelTests {
    @Test func stateAtEveryOffsetMatchesWhatWasLiveThen() async throws {
        try await withStore(StoreOptions(snapshotInterval: 60)) { store, _ in
            let dumps = try await RebuildTests.appendRandom(store, seed: 7, batches: 120)
            _ = try store.createSnapshot()
            let snapshots = try store.snapshots()
            #expect(snapshots.count >= 2, "automatic snapshots every 60 events: \(snapshots)")
            for (offset, expected) in dumps.sorted(by: { $0.key < $1.key }) where offset % 3 == 0 || offset < 5 {
                let state = try store.state(at: offset)
                #expect(try dump(state.view) == expected, "as of \(offset)")
                #expect(state.skippedSnapshots.isEmpty)
                if let from = state.snapshotOffset { #expect(from <= offset) }
            }
            let empty = try store.state(at: 0)
            #expect(try empty.view.things().isEmpty)
            #expect(throws: AnnalsError.self) { try store.state(at: try store.head().offset + 1) }
        }
    }

    /// A state is a value independent of any transaction: it leaves the task that computed it, and several tasks
    /// read it at once (over a snapshot's lazily decompressed blocks) with the same answers.
    @Test func aStateIsReadFromSeveralTasksAtOnce() async throws {
        try await withStore(StoreOptions(snapshotInterval: 60)) { store, _ in
            let dumps = try await RebuildTests.appendRandom(store, seed: 11, batches: 120)
            let (offset, expected) = try #require(dumps.filter { $0.key > 70 }.min { $0.key < $1.key })
            for scope in [OntologyScope.all, .group("org-1")] {
                let state = try await Task.detached { try store.state(at: offset, scope: scope) }.value
                if scope == .all { #expect(state.snapshotOffset != nil, "it starts from a snapshot") }
                let sequential = try dump(state.view)
                if scope == .all { #expect(sequential == expected) }
                let dumps = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<8 { group.addTask { try dump(state.view) } }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                #expect(dumps.allSatisfy { $0 == sequential }, "\(scope)")
            }
        }
    }

    @Test func aReplayInManySmallChunksMatchesWhatWasLive() async throws {
        try await withStore(StoreOptions(snapshotInterval: 200)) { store, _ in
            let dumps = try await RebuildTests.appendRandom(store, seed: 19, batches: 120)
            for (offset, expected) in dumps.sorted(by: { $0.key < $1.key }) where offset % 19 == 0 {
                for scope in [OntologyScope.all, .group("org-1")] {
                    let chunked = try store.computeState(at: offset, scope: scope, chunkSize: 5)
                    let whole = try store.state(at: offset, scope: scope)
                    #expect(try dump(chunked.view) == dump(whole.view), "as of \(offset), \(scope)")
                    if scope == .all { #expect(try dump(chunked.view) == expected, "as of \(offset)") }
                }
            }
        }
    }

    @Test func aDamagedSnapshotIsReportedAndSkipped() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: (0..<20).map { Vocabulary.thing("t\($0)") })
            let older = try store.createSnapshot()
            _ = try await store.append(contentsOf: (0..<5).map { Vocabulary.update("t\($0)", status: "x") })
            let newer = try store.createSnapshot()
            let expected = try store.read { try dump($0) }
            #expect(try dump(try store.state(at: newer.offset).view) == expected)
            // Flip one byte in the newer snapshot's compressed body.
            let database = store.projections.snapshots!
            try store.write { txn in
                var stored = try txn.get(database, key: newer.offset.bigEndianBytes)!
                stored[stored.count - 3] ^= 0x5A
                try txn.put(database, key: newer.offset.bigEndianBytes, value: stored)
            }
            let state = try store.state(at: newer.offset)
            #expect(state.snapshotOffset == older.offset)
            #expect(state.skippedSnapshots.count == 1)
            if case .corruptSnapshot(let offset, _) = state.skippedSnapshots.first { #expect(offset == newer.offset) }
            #expect(try dump(state.view) == expected)
            // A header that lies about the checksum is caught too; with every snapshot damaged, it replays the log.
            try store.write { txn in
                var stored = try txn.get(database, key: older.offset.bigEndianBytes)!
                stored[31] ^= 0x01
                try txn.put(database, key: older.offset.bigEndianBytes, value: stored)
            }
            let replayed = try store.state(at: newer.offset)
            #expect(replayed.snapshotOffset == nil && replayed.skippedSnapshots.count == 2)
            #expect(try dump(replayed.view) == expected)
            // A damaged header does not hide the other snapshots from the list: it is listed with its damage.
            try store.write { txn in
                var stored = try txn.get(database, key: older.offset.bigEndianBytes)!
                stored[0] ^= 0x01
                try txn.put(database, key: older.offset.bigEndianBytes, value: stored)
            }
            let listed = try store.snapshots()
            #expect(listed.map(\.offset) == [older.offset, newer.offset])
            #expect(listed[0].damage?.contains("ANSN") == true, "\(listed[0])")
            #expect(listed[0].storedBytes > 0 && listed[0].bodyBytes == 0 && listed[0].createdAt == 0)
            // The newer one's body was damaged above: listed with what its header says, and its damage.
            #expect(listed[1].damage?.contains("CRC-32C") == true && listed[1].bodyBytes > 0, "\(listed[1])")
            #expect(try store.pruneSnapshots(before: newer.offset).map(\.offset) == [older.offset])
            // Taken again at the same head, a damaged snapshot is replaced (an intact one would be kept).
            let retaken = try store.createSnapshot()
            #expect(retaken.offset == newer.offset && retaken.damage == nil)
            let fixed = try store.state(at: newer.offset)
            #expect(fixed.snapshotOffset == newer.offset && fixed.skippedSnapshots.isEmpty)
            #expect(try store.createSnapshot().createdAt == retaken.createdAt, "kept once intact")
        }
    }

    /// Ten things, a snapshot, five updates and another snapshot, whose contents are then damaged.
    private func twoSnapshotsWithTheNewerDamaged(_ store: EventStore) async throws -> (SnapshotInfo, SnapshotInfo) {
        _ = try await store.append(contentsOf: (0..<10).map { Vocabulary.thing("t\($0)") })
        let older = try store.createSnapshot()
        _ = try await store.append(contentsOf: (0..<5).map { Vocabulary.update("t\($0)", status: "x") })
        let newer = try store.createSnapshot()
        let database = store.projections.snapshots!
        try store.write { txn in
            var stored = try txn.get(database, key: newer.offset.bigEndianBytes)!
            stored[stored.count - 3] ^= 0x5A
            try txn.put(database, key: newer.offset.bigEndianBytes, value: stored)
        }
        return (older, newer)
    }

    /// `pruneSnapshots(keepLatest:)` keeps that many usable snapshots: a damaged one, which time travel skips, is
    /// deleted rather than kept in place of an intact older one (the only snapshot `state` could still use).
    @Test func pruningKeepsIntactSnapshotsOverDamagedOnes() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            let (older, newer) = try await twoSnapshotsWithTheNewerDamaged(store)
            #expect(try store.snapshots().map { $0.damage == nil } == [true, false])
            #expect(try store.pruneSnapshots(keepLatest: 1).map(\.offset) == [newer.offset])
            #expect(try store.snapshots().map(\.offset) == [older.offset])
            #expect(try store.state(at: newer.offset).snapshotOffset == older.offset)
        }
    }

    /// A damaged snapshot that prune chose to delete, replaced at its offset by an intact one before prune's write
    /// transaction, is kept: prune deletes only what it checked.
    @Test func pruningKeepsASnapshotReplacedSinceItWasChecked() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            let (older, newer) = try await twoSnapshotsWithTheNewerDamaged(store)
            var retaken: SnapshotInfo?
            let pruned = try store.pruneSnapshots(keepLatest: 1, before: nil) {
                // Taken again at the same head, the damaged snapshot is replaced by an intact one.
                retaken = try store.createSnapshot()
            }
            #expect(retaken?.offset == newer.offset && retaken?.damage == nil)
            #expect(pruned.isEmpty, "the damaged snapshot checked was replaced, not deleted: \(pruned)")
            let left = try store.snapshots()
            #expect(left.map(\.offset) == [older.offset, newer.offset] && left.allSatisfy { $0.damage == nil })
        }
    }

    @Test func aSnapshotOfOtherProjectionVersionsAtTheHeadIsReplacedWhenTakenAgain() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let old = try await TypeCounter.snapshot(path, version: 1, after: 0..<10)
            // After an upgrade of the projection (reopened, its view rebuilt), the old snapshot is no use to reads.
            let after = try TypeCounter.open(path, version: 2)
            defer { after.close() }
            try await Task.sleep(for: .milliseconds(2))
            let retaken = try after.createSnapshot()
            #expect(retaken.offset == old.offset && retaken.createdAt > old.createdAt)
            #expect(try after.createSnapshot().createdAt == retaken.createdAt, "kept, once usable")
        }
    }

    @Test func snapshotsAreListedAndPruned() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            #expect(throws: AnnalsError.self) { try store.createSnapshot() }
            for round in 0..<4 {
                _ = try await store.append(Vocabulary.thing("t\(round)"))
                let info = try store.createSnapshot()
                #expect(info.offset == UInt64(round + 1) && info.storedBytes > 34 && info.bodyBytes > 0)
            }
            #expect(try store.createSnapshot().offset == 4)
            #expect(try store.snapshots().map(\.offset) == [1, 2, 3, 4])
            #expect(try store.pruneSnapshots(before: 2).map(\.offset) == [1])
            #expect(try store.pruneSnapshots(keepLatest: 2).map(\.offset) == [2])
            #expect(try store.snapshots().map(\.offset) == [3, 4])
        }
    }

    @Test func stateAtATimeUsesTheTimestampIndex() async throws {
        try await withStore { store, _ in
            var a = Vocabulary.thing("a")
            a.timestamp = 1_000_000
            var b = Vocabulary.thing("b")
            b.timestamp = 2_000_000
            _ = try await store.append(contentsOf: [a, b])
            #expect(try store.state(atTime: 1_500_000).view.things().map(\.id) == ["a"])
            #expect(try store.state(atTime: 999).view.things().isEmpty)
            #expect(try store.offset(atTime: 2_000_000) == 2)
        }
    }

    private func content(_ view: OntologyView) throws -> String { try dumpWithoutStamps(view) }

    @Test(arguments: [OntologyScope.all, .group("org-1")])
    func rollbackRoundTrip(scope: OntologyScope) async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await RebuildTests.appendRandom(store, seed: 11, batches: 60)
            let target = try store.head().offset
            let past = try content(try store.state(at: target).view)
            _ = try await RebuildTests.appendRandom(store, seed: 12, batches: 60)
            let plan = try store.planRollback(to: target, scope: scope, actorId: "auditor")
            #expect(!plan.changes.isEmpty && plan.events.count == plan.changes.count)
            let head = try store.head().offset
            let (_, receipts) = try await store.rollback(to: target, scope: scope, actorId: "auditor")
            #expect(receipts.first?.offset == head + 1)
            if scope == .all {
                #expect(try content(try store.state(at: try store.head().offset).view) == past)
                #expect(try store.read { try content($0) } == past)
            }
            let event = try #require(try store.event(at: head + 1))
            #expect(event.actorId == "auditor")
            #expect(event.metadata["rollback"]?["toOffset"] == .integer(target))
            #expect(event.metadata["rollback"]?["scope"] == .string(scope.description))
            // Nothing left to undo.
            #expect(try store.planRollback(to: target, scope: scope, actorId: "auditor").changes.isEmpty)
            let results = try store.rebuild(verify: true)
            #expect(results.allSatisfy { $0.differences.isEmpty })
        }
    }

    @Test func rollbackOfOneThingRestoresItAndItsConnections() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("a", properties: ["color": "red"]), Vocabulary.thing("b"),
                Vocabulary.connect("ab", from: "a", to: "b"),
            ])
            _ = try await store.append(contentsOf: [
                Vocabulary.update("a", patch: ["color": "blue"]), Vocabulary.update("b", status: "moved"),
            ])
            _ = try await store.append(Vocabulary.deleteThing("a"))
            let plan = try store.planRollback(to: 3, scope: .thing("a"), actorId: "ops")
            #expect(
                plan.changes.map { "\($0.action.rawValue) \($0.entity) \($0.id)" } == [
                    "restore thing a", "restore connection ab",
                ])
            _ = try await store.rollback(to: 3, scope: .thing("a"), actorId: "ops")
            #expect(try store.thing("a")?.properties == ["color": "red"])
            #expect(try store.thing("b")?.status == "moved")
            #expect(try store.connections(ConnectionFilter(fromId: "a")).map(\.id) == ["ab"])
        }
    }

    @Test func aRollbackRestoringSuppliedEmbeddingsSettles() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(Vocabulary.thing("t"))
            // Vectors of 4-decimal components in [-1, 1], as a client sends them; some of them normalize to floats
            // that a second normalization moves by an ulp.
            var generator = SeededGenerator(state: 2)
            for index in 0..<8 {
                let embedding: JSONValue = .array(
                    (0..<384).map { _ in .double((Double(generator.next() % 20_001) - 10_000) / 10_000) })
                let event = NewEvent(
                    type: "knowledge.added", actorId: "tester", targetId: "k\(index)", groupId: "org-1",
                    metadata: ["thingId": "t", "text": .string("note \(index)"), "embedding": embedding])
                _ = try await store.append(event)
            }
            let target = try store.head().offset
            for index in 0..<8 {
                _ = try await store.append(
                    NewEvent(type: "knowledge.deleted", actorId: "tester", targetId: "k\(index)"))
            }
            #expect(try await store.rollback(to: target, actorId: "ops").plan.changes.count == 8)
            // Restored once, the items equal their state at the target: a second rollback finds nothing to do.
            #expect(try store.planRollback(to: target, actorId: "ops").changes.isEmpty)
        }
    }

    @Test func aRestoreLargerThanAnEventCanBeIsRefusedWhenPlanned() async throws {
        try await withStore(StoreOptions(maximumEventSize: 4_096, snapshotInterval: 0)) { store, _ in
            _ = try await store.append(Vocabulary.thing("a"))
            // Grown by small updates past what one event holds.
            for index in 0..<3 {
                _ = try await store.append(
                    NewEvent(
                        type: "thing.updated", actorId: "tester", targetId: "a",
                        metadata: ["properties": .object(["p\(index)": .string(String(repeating: "x", count: 2_000))])])
                )
            }
            let grown = try store.head().offset
            _ = try await store.append(
                NewEvent(
                    type: "thing.updated", actorId: "tester", targetId: "a",
                    metadata: ["properties": ["p0": .null, "p1": .null, "p2": .null]]))
            let head = try store.head().offset
            #expect {
                _ = try store.planRollback(to: grown, actorId: "ops")
            } throws: { error in
                guard case .invalidArgument(let reason) = error as? AnnalsError else { return false }
                return reason.hasPrefix("restoring thing 'a' as of offset \(grown) takes an event of ")
                    && reason.contains("over this store's limit of 4096")
            }
            await #expect(throws: AnnalsError.self) { _ = try await store.rollback(to: grown, actorId: "ops") }
            #expect(try store.head().offset == head)
        }
    }

    @Test func aRestoreThatPlansWithinTheSizeLimitIsAppendedAtItsEdgeToo() async throws {
        try await withStore(StoreOptions(durability: .noSync, maximumEventSize: 4_096, snapshotInterval: 0)) {
            store, _ in
            // Around the limit, byte by byte: a plan is refused, or its rollback goes through (the events are
            // stamped at the append, with a timestamp as long as the one the plan measured).
            for length in 3_850...4_050 {
                let id = "t\(length)"
                // Past the lengths whose creation fits, the edge has been crossed.
                guard let created = try await createdAndDeleted(id, propertyLength: length, in: store) else { break }
                do {
                    _ = try store.planRollback(to: created, scope: .thing(id), actorId: "ops")
                } catch AnnalsError.invalidArgument {
                    continue
                }
                _ = try await store.rollback(to: created, scope: .thing(id), actorId: "ops")
            }
        }
    }

    @Test func metadataAddedToAPlansEventsIsMeasuredAgainstTheSizeLimit() async throws {
        try await withStore(StoreOptions(durability: .noSync, maximumEventSize: 4_096, snapshotInterval: 0)) {
            store, _ in
            // The longest property whose restore still plans: at most a few bytes under the limit.
            var edge: (id: String, offset: UInt64)?
            for length in stride(from: 4_050, through: 3_800, by: -1) {
                let id = "t\(length)"
                guard let created = try await createdAndDeleted(id, propertyLength: length, in: store) else { continue }
                guard (try? store.planRollback(to: created, scope: .thing(id), actorId: "ops")) != nil else { continue }
                edge = (id, created)
                break
            }
            let (id, created) = try #require(edge)
            let plan = try store.planRollback(to: created, scope: .thing(id), actorId: "ops")
            try store.checkSizes(of: plan.events, toAppendFor: plan)
            let annotated = plan.events.map { event in
                var event = event
                if case .object(var metadata) = event.metadata {
                    metadata["note"] = .string(String(repeating: "n", count: 64))
                    event.metadata = .object(metadata)
                }
                return event
            }
            #expect {
                try store.checkSizes(of: annotated, toAppendFor: plan)
            } throws: { error in
                guard case .invalidArgument(let reason) = error as? AnnalsError else { return false }
                return reason.hasPrefix("restoring thing '\(id)' as of offset \(created) takes an event of ")
                    && reason.contains("over this store's limit of 4096")
            }
            #expect {
                try store.checkSizes(of: [], toAppendFor: plan)
            } throws: { error in
                guard case .invalidArgument(let reason) = error as? AnnalsError else { return false }
                return reason.contains("0 events for a rollback plan of 1 changes")
            }
        }
    }

    /// Creates thing `id` with a property of `propertyLength` bytes and deletes it again: the offset of its creation,
    /// or `nil` when the creation is over the store's size limit.
    private func createdAndDeleted(_ id: String, propertyLength: Int, in store: EventStore) async throws -> UInt64? {
        guard
            (try? await store.append(
                NewEvent(
                    type: "thing.created", actorId: "tester", targetId: id,
                    metadata: [
                        "thingType": "device",
                        "properties": ["p": .string(String(repeating: "x", count: propertyLength))],
                    ]))) != nil
        else { return nil }
        let created = try store.head().offset
        _ = try await store.append(NewEvent(type: "thing.deleted", actorId: "tester", targetId: id))
        return created
    }

    @Test func aConcurrentChangeMakesTheRollbackFail() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(Vocabulary.thing("a", status: "one"))
            _ = try await store.append(Vocabulary.update("a", status: "two"))
            let plan = try store.planRollback(to: 1, scope: .thing("a"), actorId: "ops")
            _ = try await store.append(Vocabulary.update("a", status: "three"))
            await #expect(throws: AnnalsError.self) { _ = try await store.append(contentsOf: plan.events) }
            #expect(try store.thing("a")?.status == "three")
        }
    }
}

/// A scoped state (one thing, or one group) equals the same part of the full state.
@Suite struct ScopedStateTests {
    @Test func aThingOrGroupScopeEqualsThatPartOfTheFullState() async throws {
        try await withStore(StoreOptions(snapshotInterval: 40)) { store, _ in
            _ = try await RebuildTests.appendRandom(store, seed: 21, batches: 120)
            let head = try store.head().offset
            let things = try store.state(at: head).view.things(ThingFilter(limit: .max)).map(\.id)
            let sampleThings = Array(things.prefix(4)) + ["s21-t1", "s21-t2", "s21-t5"]
            for offset in stride(from: UInt64(1), through: head, by: Int(max(head / 9, 1))) {
                let full = try store.state(at: offset).view
                for id in sampleThings {
                    let scoped = try store.state(at: offset, scope: .thing(id)).view
                    #expect(try Self.dump(scoped) == (try Self.dump(full, thing: id)), "thing \(id) at \(offset)")
                }
                let group = try store.state(at: offset, scope: .group("org-1")).view
                #expect(try Self.dump(group) == (try Self.dump(full, group: "org-1")), "group at \(offset)")
            }
        }
    }

    /// Connection c from `thing` to t5 and knowledge item k about `thing`, in `group`.
    static func linkAndNote(about thing: String, group: String) -> [NewEvent] {
        [
            Vocabulary.connect("c", from: thing, to: "t5", group: group),
            Vocabulary.knowledge("k", about: thing, text: "about \(thing)", group: group),
        ]
    }

    /// Deletes connection c and knowledge item k.
    static let unlinkAndForget = [
        NewEvent(type: "connection.deleted", actorId: "tester", targetId: "c"),
        NewEvent(type: "knowledge.deleted", actorId: "tester", targetId: "k"),
    ]

    /// A restore outside a thing's scope changes what the snapshot holds for that id: the scoped replay applies it,
    /// so that when the id comes back touching the thing it is not the snapshot's stale record. Here connection c,
    /// t1→t5 in the snapshot, is restored as t0→t5 by a rollback and deleted with t0, then created again t3→t5: the
    /// state of t3 showed the snapshot's c (its group and creation) updated, instead of the new one. Knowledge k is
    /// moved the same way, restored about t0, deleted with it, and added again about t3.
    @Test func aRestoreOutsideAThingsScopeIsReplayedForIt() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: ["t0", "t1", "t3", "t5"].map { Vocabulary.thing($0, group: "g") })
            _ = try await store.append(contentsOf: Self.linkAndNote(about: "t0", group: "g"))
            let target = try store.head().offset
            _ = try await store.append(contentsOf: Self.unlinkAndForget)
            _ = try await store.append(contentsOf: Self.linkAndNote(about: "t1", group: "old"))
            _ = try store.createSnapshot()
            _ = try await store.rollback(to: target, scope: .all, actorId: "ops")
            #expect(try store.read { try $0.connection("c")?.fromId == "t0" && $0.knowledgeItem("k")?.thingId == "t0" })
            _ = try await store.append(Vocabulary.deleteThing("t0"))
            _ = try await store.append(contentsOf: Self.linkAndNote(about: "t3", group: "new"))
            let head = try store.head().offset
            let full = try store.state(at: head).view
            for id in ["t3", "t5", "t1"] {
                let scoped = try store.state(at: head, scope: .thing(id))
                #expect(scoped.snapshotOffset != nil, "the replay starts from the snapshot")
                #expect(try Self.dump(scoped.view) == (try Self.dump(full, thing: id)), "thing \(id)")
            }
            #expect(try store.state(at: head, scope: .thing("t3")).view.connection("c")?.groupId == "new")
        }
    }

    /// A restore that brings a connection or knowledge item into a thing's scope keeps the creation of the entity
    /// of that id it replaces, created outside the scope after the snapshot: the scoped replay applies that creation
    /// too. (The state of t3 showed them created by the restore.)
    @Test func aRestoreIntoAThingsScopeKeepsTheCreationMadeOutsideIt() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: ["t0", "t3", "t5"].map { Vocabulary.thing($0, group: "g") })
            _ = try await store.append(contentsOf: Self.linkAndNote(about: "t3", group: "g"))
            let target = try store.head().offset
            _ = try await store.append(contentsOf: Self.unlinkAndForget)
            _ = try store.createSnapshot()
            _ = try await store.append(contentsOf: Self.linkAndNote(about: "t0", group: "other"))
            _ = try await store.rollback(to: target, scope: .all, actorId: "ops")
            let head = try store.head().offset
            let full = try store.state(at: head).view
            #expect(try full.connection("c")?.fromId == "t3" && full.knowledgeItem("k")?.thingId == "t3")
            let scoped = try store.state(at: head, scope: .thing("t3"))
            #expect(scoped.snapshotOffset != nil, "the replay starts from the snapshot")
            #expect(try Self.dump(scoped.view) == (try Self.dump(full, thing: "t3")))
            #expect(try scoped.view.connection("c")?.stamp == full.connection("c")?.stamp)
            #expect(try scoped.view.knowledgeItem("k")?.stamp == full.knowledgeItem("k")?.stamp)
        }
    }

    static func dump(_ view: OntologyView, thing: String? = nil, group: String? = nil) throws -> String {
        var things = try view.things(ThingFilter(limit: .max))
        var connections = try view.connections(ConnectionFilter(limit: .max))
        var knowledge = try view.knowledge(KnowledgeFilter(limit: .max))
        if let thing {
            things = things.filter { $0.id == thing }
            connections = connections.filter { $0.fromId == thing || $0.toId == thing }
            knowledge = knowledge.filter { $0.thingId == thing }
        }
        if let group {
            things = things.filter { $0.groupId == group }
            connections = connections.filter { $0.groupId == group }
            knowledge = knowledge.filter { $0.groupId == group }
        }
        return JSONValue.object([
            "things": .array(things.map(\.json)), "connections": .array(connections.map(\.json)),
            "knowledge": .array(knowledge.map(\.json)),
        ]).canonicalString
    }
}
