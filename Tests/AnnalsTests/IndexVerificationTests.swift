import Foundation
import LMDB
import Testing

@testable import Annals

/// `EventStore.verifyIndexes()`: the posting indexes, `ids` and `streams` checked against the log, each kind of
/// disagreement named with the index, the key and the first offset that differs.
@Suite struct IndexVerificationTests {
    /// Merges every 256 events, so that after `fill` both the merged posting lists and the delta log hold entries.
    private let options = StoreOptions(indexMergeInterval: 256)

    private func fill(_ store: EventStore) async throws { try await fillWithClientIDs(store) }

    @Test func aConsistentStoreHasNoProblems() async throws {
        try await withStore(options) { store, _ in
            #expect(try store.verifyIndexes() == [], "an empty store")
            try await fill(store)
            let (merged, recent) = try store.environment.read { txn in
                (
                    try txn.metaU64(store.schema, MetaKey.indexMergedThrough) ?? 0,
                    try store.schema.delta.all(txn).postings(.actor).count
                )
            }
            #expect(merged >= 768 && recent > 0, "merged through \(merged), \(recent) actors in the delta log")
            #expect(try store.verifyIndexes() == [])
        }
    }

    @Test func aPostingListWithoutItsMergedBlocksIsPinnedToItsFirstEvent() async throws {
        try await withStore(options) { store, _ in
            try await fill(store)
            // Every merged block of actor user-3 (events 3, 10, 17, …: offsets 4, 11, 18, …).
            try store.write { txn in
                try txn.withCursor(store.schema.byActor.database) { cursor in
                    var entry = try cursor.seek(.setRange, to: Array("user-3".utf8) + [0])
                    while let current = entry, current.key.starts(with: Array("user-3".utf8) + [0]) {
                        try cursor.deleteCurrent()
                        entry = try cursor.get(.next)
                    }
                }
            }
            let problems = try store.verifyIndexes()
            #expect(problems.count == 1, "\(problems)")
            #expect(problems.first?.kind == .index)
            #expect(problems.first?.offset == 4)
            #expect(problems.first?.detail.hasPrefix("idx.actor 'user-3': the event at offset 4 is missing") == true)
        }
    }

    @Test func aLostDeltaRecordShowsInEveryIndex() async throws {
        try await withStore(options) { store, _ in
            try await fill(store)
            try store.write { txn in
                try txn.withCursor(store.schema.delta.database) { cursor in
                    _ = try cursor.get(.last)
                    try cursor.deleteCurrent()
                }
            }
            let problems = try store.verifyIndexes()
            let indexes = Set(problems.map { $0.detail.prefix { $0 != " " } })
            #expect(indexes == ["idx.type", "idx.actor", "idx.target", "idx.group", "idx.time"], "\(problems)")
            // Each key is pinned to its first event in the last batch (offsets 901…1000); the type index has four
            // keys, the actor index seven.
            #expect(problems.allSatisfy { $0.kind == .index && (901...907).contains($0.offset) }, "\(problems)")
            #expect(problems.filter { $0.detail.hasPrefix("idx.actor") }.count == 7)
            #expect(problems.contains { $0.offset == 901 && $0.detail.hasPrefix("idx.time") })
        }
    }

    @Test func aBlockWhoseHeaderUnderstatesItsLastOffsetIsNamedAndNeverSkipped() async throws {
        try await withStore(options) { store, _ in
            try await fill(store)
            // The first merged block of actor user-3 (offsets 4, 11, 18, …): its header's last offset lowered to
            // its first entry, as a bit flip could.
            let key = try store.environment.read { txn in
                try txn.withCursor(store.schema.byActor.database) { cursor in
                    try #require(try cursor.seek(.setRange, to: Array("user-3".utf8) + [0])).key.map { $0 }
                }
            }
            try store.write { txn in
                var value = try #require(try txn.get(store.schema.byActor.database, key: key))
                value.replaceSubrange(12..<20, with: UInt64(4).bigEndianBytes)
                try txn.put(store.schema.byActor.database, key: key, value: value)
            }
            let problems = try store.verifyIndexes()
            #expect(
                problems.contains {
                    $0.detail.hasPrefix("idx.actor 'user-3': the block at offset 4 is malformed")
                        && $0.detail.contains("names 4 as its last offset")
                }, "\(problems)")
            // A filtered read starting inside the block fails on it instead of leaving its other events out.
            var query = EventQuery(from: 12)
            query.actorId = "user-3"
            #expect(throws: AnnalsError.self) { _ = try store.events(query).collect() }
        }
    }

    @Test func anIdsEntryNamingAnotherOffsetIsPinnedToTheEvent() async throws {
        try await withStore(options) { store, _ in
            try await fill(store)
            let event = try #require(try store.event(at: 502))
            try store.write { txn in
                try txn.put(
                    store.schema.ids, key: event.id.bytes, value: UInt64(7).bigEndianBytes + [0, 0, 0, 0, 0, 0, 0, 1])
            }
            let problems = try store.verifyIndexes()
            #expect(problems.count == 1, "\(problems)")
            #expect(problems.first?.offset == 502)
            #expect(problems.first?.detail.contains("maps to offset 7, version 1") == true, "\(problems)")
        }
    }

    @Test func anIdsEntryPastTheHeadIsReportedAndRefusesTheAppendOfItsId() async throws {
        try await withStore(options) { store, _ in
            try await fill(store)
            let head = try store.head().offset
            let id = UUID()
            try store.write { txn in
                try txn.put(
                    store.schema.ids, key: id.bytes, value: UInt64(99_999_999).bigEndianBytes + UInt64(1).bigEndianBytes
                )
            }
            let problems = try store.verifyIndexes()
            #expect(problems.count == 1 && problems.first?.offset == 99_999_999, "\(problems)")
            #expect(problems.first?.detail.contains("past the last offset \(head)") == true, "\(problems)")
            // Taking it for a duplicate would drop the event unwritten: the append fails instead.
            await #expect {
                _ = try await store.append(NewEvent(id: id, type: "a"))
            } throws: { error in
                guard case .corruptRecord(99_999_999, let reason) = error as? AnnalsError else { return false }
                return reason.contains("past the last offset")
            }
            #expect(try store.head().offset == head)
        }
    }

    @Test func aStreamVersionThatIsNotItsLastEventsIsNamed() async throws {
        try await withStore(options) { store, _ in
            try await fill(store)
            try store.write { txn in
                try txn.put(store.schema.streams, key: Array("thing-2".utf8), value: UInt64(999).bigEndianBytes)
            }
            let problems = try store.verifyIndexes()
            #expect(problems.count == 1, "\(problems)")
            #expect(
                problems.first?.detail
                    == "streams 'thing-2': stored version 999, the log's last event on it version 200")
        }
    }

    @Test func aMissingAndAnExtraStreamVersionAreNamedAsSuch() async throws {
        try await withStore(options) { store, _ in
            try await fill(store)
            try store.write { txn in
                _ = try txn.delete(store.schema.streams, key: Array("thing-2".utf8))
                try txn.put(store.schema.streams, key: Array("ghost".utf8), value: UInt64(3).bigEndianBytes)
            }
            let problems = try store.verifyIndexes().map(\.detail)
            #expect(
                problems == [
                    "streams 'ghost': stored version 3, but the log has no event on that target",
                    "streams has no entry for 'thing-2', whose last event in the log is version 200",
                ], "\(problems)")
        }
    }

    @Test func firstDifferenceNamesTheOffsetAndItsSide() {
        #expect(EventStore.firstDifference([1, 2, 3], [1, 2, 3]) == nil)
        #expect(EventStore.firstDifference([1, 2, 3], [1, 3]).map { [$0.offset: $0.inLog] } == [2: true])
        #expect(EventStore.firstDifference([1, 3], [1, 2, 3]).map { [$0.offset: $0.inLog] } == [2: false])
        #expect(EventStore.firstDifference([1], []).map { [$0.offset: $0.inLog] } == [1: true])
        #expect(EventStore.firstDifference([], [5]).map { [$0.offset: $0.inLog] } == [5: false])
    }
}
