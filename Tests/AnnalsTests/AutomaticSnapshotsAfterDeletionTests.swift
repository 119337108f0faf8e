import Foundation
import Testing

@testable import Annals

/// Automatic snapshots look the newest usable snapshot up again after snapshots were deleted (a prune, a rebuild's
/// swap): with none left, the next append to a log an interval long takes one, instead of waiting an interval after
/// the deleted one while every `state` and rollback replays from the start. Snapshots reads cannot use (of an earlier
/// version of a projection) do not count.
@Suite struct AutomaticSnapshotsAfterDeletionTests {
    private static let interval = 100

    /// Appends one event at a time, so that each commit considers a snapshot.
    private func appendOneByOne(_ store: EventStore, _ range: Range<Int>) async throws {
        for i in range { _ = try await store.append(sampleEvent(i)) }
    }

    /// Waits until `store` holds a snapshot (they are taken in the background), or a minute has passed.
    private func awaitSnapshot(_ store: EventStore) async throws -> [SnapshotInfo] {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let snapshots = try store.snapshots()
            if !snapshots.isEmpty { return snapshots }
            try await Task.sleep(for: .milliseconds(20))
        }
        return []
    }

    /// A store whose automatic snapshots took at least one, all of them then deleted by `delete`.
    private func withSnapshotsDeleted(
        by delete: @escaping (EventStore) throws -> Void, _ body: @escaping (EventStore) async throws -> Void
    ) async throws {
        try await withStore(StoreOptions(snapshotInterval: Self.interval)) { store, _ in
            try await appendOneByOne(store, 0..<250)
            let taken = try await awaitSnapshot(store)
            try #require(!taken.isEmpty, "an automatic snapshot within 250 events of interval \(Self.interval)")
            // Whatever was still being taken in the background is stored before the deletion.
            try await Task.sleep(for: .milliseconds(200))
            try delete(store)
            try #require(try store.snapshots().isEmpty)
            try await body(store)
        }
    }

    @Test func aPruneOfEverySnapshotLetsTheNextAppendTakeOne() async throws {
        try await withSnapshotsDeleted(by: { try $0.pruneSnapshots(keepLatest: 0) }) { store in
            try await appendOneByOne(store, 250..<252)
            let snapshots = try await awaitSnapshot(store)
            #expect(snapshots.first.map { $0.offset >= 250 && $0.offset <= 252 } == true, "\(snapshots)")
        }
    }

    @Test func aRebuildThatDeletesEverySnapshotLetsTheNextAppendTakeOne() async throws {
        try await withSnapshotsDeleted(by: { _ = try $0.rebuild(["things"]) }) { store in
            try await appendOneByOne(store, 250..<252)
            let snapshots = try await awaitSnapshot(store)
            #expect(snapshots.first.map { $0.offset >= 250 && $0.offset <= 252 } == true, "\(snapshots)")
        }
    }

    /// Snapshots of an earlier version of a projection are no use to reads: after the upgrade (and the rebuild of its
    /// view), the next append takes one, rather than an interval after the newest old one.
    @Test func snapshotsOfAnEarlierProjectionVersionDoNotHoldTheNextOneBack() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            func open(version: Int) throws -> EventStore {
                try EventStore(
                    path: path,
                    options: StoreOptions(
                        projections: OntologyProjections.standard + [TypeCounter(version: version)],
                        snapshotInterval: Self.interval))
            }
            do {
                let store = try open(version: 1)
                defer { store.close() }
                try await appendOneByOne(store, 0..<250)
                try #require(!(try await awaitSnapshot(store)).isEmpty)
                try await Task.sleep(for: .milliseconds(200))
            }
            let store = try open(version: 2)
            defer { store.close() }
            let old = try store.snapshots().map(\.offset)
            _ = try store.rebuild(["type-counts"])
            try #require(try store.snapshots().map(\.offset) == old, "the rebuild keeps snapshots of version 1")
            try await appendOneByOne(store, 250..<252)
            let deadline = Date().addingTimeInterval(60)
            var taken: [UInt64] = []
            while taken.isEmpty && Date() < deadline {
                taken = try store.snapshots().map(\.offset).filter { !old.contains($0) }
                if taken.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(taken.first.map { $0 >= 250 && $0 <= 252 } == true, "old \(old), new \(taken)")
        }
    }

    /// Snapshots deleted behind the writer's back (as another process's prune or rebuild does) are noticed within a
    /// sixteenth of an interval.
    @Test func snapshotsDeletedElsewhereAreNoticedWithinASixteenthOfAnInterval() async throws {
        try await withSnapshotsDeleted(by: { store in
            let database = try #require(store.projections.snapshots)
            try store.write { txn in
                for snapshot in try store.snapshots() {
                    try txn.delete(database, key: snapshot.offset.bigEndianBytes)
                }
            }
        }) { store in
            try await appendOneByOne(store, 250..<(252 + Self.interval / 16))
            let snapshots = try await awaitSnapshot(store)
            #expect(
                snapshots.first.map { $0.offset < 300 } == true, "not an interval after the deleted one: \(snapshots)")
        }
    }
}
