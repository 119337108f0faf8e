import Foundation
import Testing

@testable import Annals

/// Keys that are no offset's at either end of the log, in numbers a tampered store may hold: a report's worth is
/// listed, the rest counted, and no more are kept.
@Suite struct MalformedKeyLimitTests {
    /// Puts `count` 10-byte keys starting with the 8 bytes of `prefix` into `events`, each holding `value`.
    private func putKeys(_ store: EventStore, after prefix: UInt64, count: Int, value: [UInt8]) throws {
        try store.write { txn in
            for i in 0..<count {
                let key = prefix.bigEndianBytes + [UInt8(i >> 8), UInt8(i & 0xFF)]
                try txn.put(store.schema.events, key: key, value: value)
            }
        }
    }

    /// A store of 10 events with 1,000 such keys before offset 1 and 1,000 after the head.
    private func fillWithJunkKeys(_ store: EventStore) async throws {
        _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) })
        try putKeys(store, after: 0, count: 1_000, value: [0])
        try putKeys(store, after: 10, count: 1_000, value: [0])
    }

    /// The keys before offset 1 fill the report: 99 listed, then one problem counting the other 901.
    @Test func verifyListsAReportsWorthOfKeysAndCountsTheRest() async throws {
        try await withStore { store, _ in
            try await fillWithJunkKeys(store)
            let report = try store.verify()
            #expect(report.recordsChecked == 10 && report.to == 10)
            #expect(report.problems.count == EventStore.maximumReportedProblems)
            #expect(report.problems.allSatisfy { $0.kind == .malformedKey })
            #expect(report.problems.first?.detail == "a key of 10 bytes (00000000000000000000) before offset 1")
            #expect(report.problems.last?.detail == "901 more keys that are no offset's before offset 1, not listed")
        }
    }

    /// Each end keeps at most a report's worth, in key order: the keys after the head start with the one right
    /// after it.
    @Test func eachEndKeepsAtMostAReportsWorth() async throws {
        try await withStore { store, _ in
            try await fillWithJunkKeys(store)
            let ends = try store.environment.read { txn in try store.logEnds(txn, fromTheStart: true) }
            #expect(ends.head == 10)
            #expect(ends.leadingKeys.count == EventStore.maximumReportedProblems)
            #expect(ends.trailingKeys.count == EventStore.maximumReportedProblems)
            #expect(ends.trailingKeys.first?.detail == "a key of 10 bytes (000000000000000a0000) after the last offset")
            #expect(ends.trailingKeys.last?.detail.hasPrefix("901 more keys") == true)
            let fromLater = try store.environment.read { txn in try store.logEnds(txn, fromTheStart: false) }
            #expect(fromLater.leadingKeys.isEmpty && fromLater.trailingKeys == ends.trailingKeys)
        }
    }
}
