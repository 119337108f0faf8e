import Foundation
import Testing

@testable import Annals

/// A rebuild, with or without `verify`, deletes in the commit of its swap the snapshots a read would take the
/// rebuilt projection's tables from: copies of the view it replaced, which may hold the damage it repairs.
@Suite struct RebuildDropsSnapshotsTests {
    /// Removes thing `id`'s record from the live things view, as damage would (a record the log explains, lost).
    static func forget(thing id: String, in store: EventStore) throws {
        let entry = try #require(store.projections.entry("things"))
        try store.write { txn in
            let state = try #require(try store.projections.state("things", txn.handle))
            _ = try txn.delete(entry.slots[Int(state.slot)][0], key: Array(id.utf8))
        }
    }

    @Test(arguments: [false, true])
    func aRebuildDeletesTheSnapshotsOfTheViewItReplaced(verify: Bool) async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: [Vocabulary.thing("a", name: "Hub"), Vocabulary.thing("b")])
            try Self.forget(thing: "a", in: store)
            let damaged = try store.createSnapshot()
            try #require(try store.state(at: damaged.offset).view.thing("a") == nil, "the snapshot copied the damage")

            let results = try store.rebuild(["things"], verify: verify)
            #expect(results.map(\.droppedSnapshots) == [[damaged.offset]])
            #expect(try store.snapshots().isEmpty)
            let state = try store.state(at: damaged.offset)
            #expect(state.snapshotOffset == nil)
            #expect(try state.view.thing("a")?.name == "Hub")
            #expect(try store.planRollback(to: damaged.offset, actorId: "ops").changes.isEmpty)
            // Every snapshot holds every registered projection: a rebuild of another one deletes it too.
            _ = try store.createSnapshot()
            #expect(try store.rebuild(["knowledge"]).map(\.droppedSnapshots) == [[damaged.offset]])
        }
    }

    /// Only snapshots holding the rebuilt projection, at the version and configuration reads would use, are deleted.
    @Test func snapshotsWithoutTheRebuiltProjectionAreKept() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let before = try EventStore(path: path, options: StoreOptions(snapshotInterval: 0))
            _ = try await before.append(contentsOf: (0..<5).map { Vocabulary.thing("t\($0)") })
            let withoutCounter = try before.createSnapshot()
            before.close()
            let store = try TypeCounter.open(path, version: 1)
            defer { store.close() }
            _ = try await store.append(Vocabulary.thing("t5"))
            let withCounter = try store.createSnapshot()
            let rebuilt = try store.rebuild(["type-counts"])
            #expect(rebuilt.map(\.droppedSnapshots) == [[withCounter.offset]])
            #expect(try store.snapshots().map(\.offset) == [withoutCounter.offset])
            #expect(try store.state(at: withoutCounter.offset).snapshotOffset == withoutCounter.offset)
        }
    }

    /// The rebuild at open of a view built by another version replaces no view those snapshots copied: a downgrade
    /// and an upgrade back keep the snapshots taken by each version, and time travel still starts from them.
    @Test func aRebuildAtOpenOfAnotherVersionsViewKeepsTheSnapshots() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let ofVersionOne = try await TypeCounter.snapshot(path, version: 1, after: 0..<8)
            let ofVersionTwo = try await TypeCounter.snapshot(path, version: 2, after: 8..<9)
            let downgraded = try TypeCounter.open(path, version: 1)
            #expect(try downgraded.snapshots().map(\.offset) == [ofVersionOne.offset, ofVersionTwo.offset])
            #expect(try downgraded.state(at: 9, of: "type-counts").snapshotOffset == ofVersionOne.offset)
            downgraded.close()
            let store = try TypeCounter.open(path, version: 2)
            defer { store.close() }
            #expect(try store.snapshots().map(\.offset) == [ofVersionOne.offset, ofVersionTwo.offset])
            #expect(try store.state(at: 9, of: "type-counts").snapshotOffset == ofVersionTwo.offset)
            // A rebuild of the view this version built still deletes the snapshots holding it.
            #expect(try store.rebuild(["type-counts"]).map(\.droppedSnapshots) == [[ofVersionTwo.offset]])
            #expect(try store.snapshots().map(\.offset) == [ofVersionOne.offset])
        }
    }

    /// A snapshot encoded from the old view while a rebuild swaps the new one in is not stored after the rebuild
    /// deleted the others: it is taken again from the new view.
    @Test func aSnapshotTakenAcrossARebuildIsTakenAgain() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: [Vocabulary.thing("a", name: "Hub")])
            try Self.forget(thing: "a", in: store)
            var attempts: [Int] = []
            let taken = try #require(
                try store.createSnapshot(unlessOneWithin: nil) { attempt in
                    attempts.append(attempt)
                    if attempt == 1 { _ = try store.rebuild(["things"]) }
                })
            #expect(attempts == [1, 2])
            #expect(try store.snapshots().map(\.offset) == [taken.offset])
            // Taken from the rebuilt view, which has the thing the old one forgot.
            #expect(try store.state(at: taken.offset).view.thing("a")?.name == "Hub")
        }
    }

    /// Rebuilds swapping a view in during every attempt: nothing is stored, and the error says to take it again.
    @Test func aSnapshotRebuiltUnderEveryAttemptIsNotStored() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: [Vocabulary.thing("a", name: "Hub")])
            var attempts = 0
            do {
                _ = try store.createSnapshot(unlessOneWithin: nil) { _ in
                    attempts += 1
                    _ = try store.rebuild(["things"])
                }
                Issue.record("stored a snapshot of a replaced view")
            } catch {
                guard case .projectionUnavailable(let name, let reason) = error as? AnnalsError else { throw error }
                #expect(name == "things" && reason.contains("while each of 3 snapshots was being taken"), "\(reason)")
            }
            #expect(attempts == EventStore.snapshotAttempts)
            #expect(try store.snapshots().isEmpty)
            #expect(try store.createSnapshot().offset == 1)
        }
    }
}
