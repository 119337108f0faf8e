import Foundation
import Testing

@testable import Annals

/// `meta`'s head hash (`chain.head`) missing: damage in a log any record of which was appended in store format 3,
/// whose every append writes it; the normal state of a log written before it.
@Suite struct MissingHeadHashTests {
    /// Removes `chain.head` from `store`'s `meta`.
    private func removeHeadHash(_ store: EventStore) throws {
        try store.write { txn in try txn.delete(store.schema.meta, key: MetaKey.chainHead) }
    }

    /// A tagged head (which `head` refuses then) and a checkpoint head (which carries its whole hash, so `head`
    /// answers): `verify` reports the missing hash at the head either way, where it used to find the log intact.
    @Test(arguments: [10, 1_024])
    func aMissingHeadHashIsAChainBreakAtTheHead(events: Int) async throws {
        try await withStore { store, _ in
            for start in stride(from: 0, to: events, by: 256) {
                _ = try await store.append(contentsOf: (start..<min(start + 256, events)).map { sampleEvent($0) })
            }
            let head = try store.head()
            try removeHeadHash(store)
            let report = try store.verify()
            #expect(report.problems.map(\.offset) == [head.offset], "\(report.problems)")
            #expect(report.problems.map(\.kind) == [.chainBreak])
            #expect(report.problems.first?.detail.contains("missing from meta (chain.head)") == true)
            #expect(report.lastHash == head.hash, "the records are intact")
            #expect(try store.verify(to: head.offset - 1).isIntact, "a range short of the head is not concerned")
        }
    }

    /// An upgraded store has no head hash until its first append since the upgrade: intact until then, damaged once
    /// an append wrote one and it is removed.
    @Test func anUpgradedStoreNeedsAHeadHashOnlyOnceItWasAppendedTo() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            try await makeFormat2Store(at: path, events: 30)
            let store = try EventStore(path: path)
            defer { store.close() }
            #expect(try store.verify().isIntact, "upgraded, not appended to")
            _ = try await store.append(contentsOf: (30..<40).map { sampleEvent($0) })
            try removeHeadHash(store)
            #expect(try store.verify().problems.map(\.offset) == [40])
        }
    }
}
