import Foundation
import LMDB
import Testing

@testable import Annals

/// `EventStore.rebuildIndexes()`: the posting indexes, `ids` and `streams` rebuilt from the log, repairing what
/// `verifyIndexes()` reports, with appends made during the scan included and nothing changed when a record is damaged.
@Suite struct IndexRebuildTests {
    /// Merges every 256 events, so that the merged posting lists and the delta log both hold entries.
    private let options = StoreOptions(indexMergeInterval: 256)

    /// Damages one structure of each kind behind the engine's back.
    private func damageEveryStructure(_ store: EventStore) throws {
        let moved = try #require(try store.event(at: 502))
        try store.write { txn in
            let actor = Array("user-3".utf8) + [0]
            try txn.withCursor(store.schema.byActor.database) { cursor in
                var entry = try cursor.seek(.setRange, to: actor)
                while let current = entry, current.key.starts(with: actor) {
                    try cursor.deleteCurrent()
                    entry = try cursor.get(.next)
                }
            }
            try txn.withCursor(store.schema.delta.database) { cursor in
                _ = try cursor.get(.last)
                try cursor.deleteCurrent()
            }
            try txn.put(
                store.schema.ids, key: moved.id.bytes, value: UInt64(7).bigEndianBytes + UInt64(1).bigEndianBytes)
            try txn.put(store.schema.streams, key: Array("thing-2".utf8), value: UInt64(999).bigEndianBytes)
        }
    }

    @Test func rebuildingRepairsWhatVerifyReports() async throws {
        try await withStore(options) { store, _ in
            try await fillWithClientIDs(store)
            try damageEveryStructure(store)
            #expect(try store.verifyIndexes().count > 5)

            let summary = try store.rebuildIndexes()
            #expect(summary.head == 1_000 && summary.events == 1_000)
            var symbols = summary.symbols
            #expect(symbols.removeValue(forKey: "idx.time") ?? 0 >= 1, "one minute or more")
            #expect(symbols == ["idx.type": 4, "idx.actor": 7, "idx.target": 5, "idx.group": 3], "\(summary)")
            #expect(summary.clientIDs == 400 && summary.duplicateClientIDs == 0)
            #expect(summary.streams == 5)
            #expect(try store.verifyIndexes() == [])

            // Everything is merged: the delta log is empty and the merge point is the head.
            let (merged, deltaRecords) = try store.environment.read { txn in
                (
                    try txn.metaU64(store.schema, MetaKey.indexMergedThrough),
                    try txn.statistics(store.schema.delta.database).entries
                )
            }
            #expect(merged == 1_000 && deltaRecords == 0)
            // The reads, idempotent appends and expected versions that trust the structures answer again.
            let byActor = try store.events(EventQuery(actorId: "user-3")).collect().map(\.offset)
            #expect(byActor == Array(stride(from: UInt64(4), through: 1_000, by: 7)))
            let moved = try #require(try store.event(at: 502))
            var again = sampleEvent(501)
            again.id = moved.id
            #expect(try await store.append(again).offset == 502, "the client id still names its event")
            var next = sampleEvent(2, target: "thing-2")
            next.expectedVersion = 200
            #expect(try await store.append(next).version == 201)
            #expect(try store.verifyIndexes() == [], "appends after a rebuild index as before")
        }
    }

    @Test func eventsAppendedDuringTheScanAreIndexedToo() async throws {
        try await withStore(options) { store, _ in
            try await fillWithClientIDs(store)
            try damageEveryStructure(store)
            let appended = AppendOnce(store)
            let summary = try store.rebuildIndexes { _ in appended.appendFiftyEvents() }
            #expect(appended.receipts.count == 50)
            #expect(summary.head == 1_050 && summary.events == 1_050, "\(summary)")
            #expect(summary.clientIDs == 450)
            #expect(try store.verifyIndexes() == [])
            #expect(try store.events(EventQuery(targetId: "late")).collect().count == 50)
        }
    }

    @Test func aDamagedRecordStopsItWithNothingChanged() async throws {
        try await withStore(options) { store, _ in
            try await fillWithClientIDs(store)
            try store.write { txn in
                try txn.put(store.schema.streams, key: Array("thing-2".utf8), value: UInt64(999).bigEndianBytes)
                var record = try #require(try txn.get(store.schema.events, key: UInt64(120).bigEndianBytes))
                record[record.count - 3] ^= 0x40
                try txn.put(store.schema.events, key: UInt64(120).bigEndianBytes, value: record)
            }
            #expect {
                try store.rebuildIndexes()
            } throws: { error in
                guard case .corruptRecord(let offset, _) = error as? AnnalsError else { return false }
                return offset == 120
            }
            let version = try store.environment.read { txn in
                try Array("thing-2".utf8).withUnsafeBytes { key in
                    try txn.get(store.schema.streams, key: key).map { UInt64(bigEndianBytes: $0) }
                }
            }
            #expect(version == 999, "the structures are as they were")
        }
    }

    @Test func anEmptyStoreRebuildsToNothing() async throws {
        try await withStore { store, _ in
            let summary = try store.rebuildIndexes()
            #expect(
                summary
                    == IndexRebuildSummary(
                        head: 0, events: 0,
                        symbols: [
                            "idx.type": 0, "idx.actor": 0, "idx.target": 0, "idx.group": 0, "idx.time": 0,
                        ]))
            #expect(try store.verifyIndexes() == [])
        }
    }

    @Test func aReadOnlyStoreIsRefused() async throws {
        try await withStore { store, path in
            try await fillWithClientIDs(store)
            store.close()  // One open store per directory per process.
            let reader = try EventStore(path: path, options: StoreOptions(readOnly: true))
            defer { reader.close() }
            #expect(throws: AnnalsError.invalidArgument("the store was opened read-only")) {
                try reader.rebuildIndexes()
            }
        }
    }
}

/// Appends 50 events to target `late` the first time it is called (from the rebuild's progress callback, on the
/// calling thread and outside any transaction), waiting for them.
private final class AppendOnce: @unchecked Sendable {
    let store: EventStore
    private(set) var receipts: [AppendReceipt] = []

    init(_ store: EventStore) { self.store = store }

    func appendFiftyEvents() {
        guard receipts.isEmpty else { return }
        let done = DispatchSemaphore(value: 0)
        let events = (0..<50).map { i -> NewEvent in
            var event = sampleEvent(i, target: "late")
            event.id = UUID()
            return event
        }
        nonisolated(unsafe) var result: Result<[AppendReceipt], AnnalsError>?
        store.append(events) { outcome in
            result = outcome
            done.signal()
        }
        done.wait()
        receipts = (try? result?.get()) ?? []
    }
}
