import Foundation
import LMDB
import Testing

@testable import Annals

/// A replay's chunks are decoded straight into projected events, on every core or on the calling thread: both ways
/// give the same events as the plain reader, and both end a chunk at its first damaged record.
@Suite struct ProjectedDecodingTests {
    private static func fill(_ store: EventStore) async throws {
        _ = try await store.append(contentsOf: (0..<300).map { sampleEvent($0) })
    }

    private static func projected(
        _ store: EventStore, parallel: Bool,
        including include: @escaping @Sendable (RecordedEvent) -> Bool = { _ in true }
    ) throws -> (events: [ProjectedEvent], failure: AnnalsError?) {
        let decoder = BatchDecoder(store: store)
        return try store.environment.read { txn in
            do {
                let (events, _) = try store.projectedEvents(
                    after: 0, limit: 1_000, decoder: decoder, parallel: parallel, including: include, txn)
                return (events, nil)
            } catch let error as AnnalsError {
                // The events before the failure are not returned by projectedEvents: read them up to it.
                guard case .corruptRecord(let offset, _) = error, offset > 1 else { return ([], error) }
                let (events, _) = try store.projectedEvents(
                    after: 0, through: offset - 1, limit: 1_000, decoder: decoder, parallel: parallel,
                    including: include, txn)
                return (events, error)
            }
        }
    }

    @Test func bothWaysGiveTheReadersEvents() async throws {
        try await withStore { store, _ in
            try await Self.fill(store)
            let expected = try store.events().collect().map { try ProjectedEvent($0) }
            for parallel in [true, false] {
                let (events, failure) = try Self.projected(store, parallel: parallel)
                #expect(failure == nil)
                #expect(events == expected, "parallel: \(parallel)")
                let created = try Self.projected(store, parallel: parallel) { $0.type == "item.created" }
                #expect(created.events == expected.filter { $0.type == "item.created" })
            }
        }
    }

    @Test func bothWaysStopAtTheFirstDamagedRecord() async throws {
        try await withStore { store, _ in
            try await Self.fill(store)
            try store.write { txn in
                let key = UInt64(120).bigEndianBytes
                var record = try #require(try txn.get(store.schema.events, key: key))
                record[record.count - 3] ^= 0x40
                try txn.put(store.schema.events, key: key, value: record)
            }
            for parallel in [true, false] {
                let (events, failure) = try Self.projected(store, parallel: parallel)
                guard case .corruptRecord(let offset, _)? = failure else {
                    Issue.record("parallel: \(parallel): expected a corrupt record, got \(String(describing: failure))")
                    continue
                }
                #expect(offset == 120)
                #expect(events.map(\.offset) == Array(1...119), "parallel: \(parallel)")
            }
        }
    }
}
