import Foundation
import Testing

@testable import Annals

/// A record an index lists but the log lacks stops a read or a subscription as a damaged record does: every matching
/// event before it is delivered first, then the error, and a consumer that calls `next()` again gets the error again,
/// never the events before it a second time.
@Suite struct MissingIndexedRecordTests {
    /// 3,000 events of one target (read through the target's postings, in chunks of 1,024 candidates and more), and
    /// offset 2,000 deleted from the log behind the engine's back, its postings left.
    private func storeMissingOffset2000(_ body: (EventStore) async throws -> Void) async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<3_000).map { sampleEvent($0, target: "t") })
            try store.write { txn in try txn.delete(store.schema.events, key: UInt64(2_000).bigEndianBytes) }
            try await body(store)
        }
    }

    private func isMissing2000(_ error: AnnalsError) -> Bool {
        guard case .corruptRecord(let offset, let reason) = error else { return false }
        return offset == 2_000 && reason.contains("missing from the log")
    }

    /// Offsets 1 to 1,999, each once, in order.
    private func isEachBeforeTheMissingOnce(_ delivered: [UInt64]) -> Bool { delivered == Array(1...1_999) }

    /// A failure message short enough to read: how many offsets, and the first and last.
    private func summary(_ delivered: [UInt64]) -> String {
        "\(delivered.count) events (\(Set(delivered).count) distinct), offsets \(delivered.first ?? 0) to \(delivered.last ?? 0)"
    }

    @Test func aSubscriptionDeliversEveryEventBeforeTheMissingRecordOnce() async throws {
        try await storeMissingOffset2000 { store in
            var iterator = try store.subscribe(nil, filter: EventFilter(targetId: "t")).makeAsyncIterator()
            var delivered: [UInt64] = []
            var failures: [AnnalsError] = []
            // The loop a consumer that logs an error and calls `next()` again would run.
            while failures.count < 3 {
                do throws(AnnalsError) {
                    guard let event = try await iterator.next() else { break }
                    delivered.append(event.offset)
                } catch {
                    failures.append(error)
                }
            }
            #expect(isEachBeforeTheMissingOnce(delivered), "\(summary(delivered))")
            #expect(failures.count == 3 && failures.allSatisfy(isMissing2000), "\(failures)")
        }
    }

    @Test func aReadDeliversEveryEventBeforeTheMissingRecord() async throws {
        try await storeMissingOffset2000 { store in
            var reader = store.events(EventQuery(targetId: "t")).makeReader()
            var delivered: [UInt64] = []
            var failure: AnnalsError?
            do throws(AnnalsError) {
                while let event = try reader.next() { delivered.append(event.offset) }
            } catch {
                failure = error
            }
            #expect(isEachBeforeTheMissingOnce(delivered), "\(summary(delivered))")
            #expect(failure.map(isMissing2000) == true, "\(String(describing: failure))")
        }
    }
}
