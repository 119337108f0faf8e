import Foundation
import LMDB
import Testing

@testable import Annals

/// A checkpoint record whose stored whole hash is not the chain's (the hash forged, with `meta`'s `chain.head` forged
/// to agree, or the record's payload changed under its original hash): the head's hash rests on it, so neither
/// ``EventStore/checkedHead()`` nor an audit hands out an anchor that rests on it.
@Suite struct ForgedCheckpointTests {
    /// Rewrites the checkpoint record at `offset` to store `hash` as its whole hash, payload untouched.
    private func storeHash(_ hash: ChainHash, at offset: UInt64, _ store: EventStore) throws {
        try store.write { txn in
            let record = try #require(try store.record(at: offset, txn))
            let original = try RecordHeader.read(record)
            let forged = RecordHeader(
                codec: original.codec, dictionaryID: original.dictionaryID, checksum: original.checksum,
                link: .hash(hash))
            #expect(forged.size == original.size)
            var value = Array(record)
            value.withUnsafeMutableBytes { forged.write(to: $0) }
            try txn.put(store.schema.events, key: offset.bigEndianBytes, value: value)
        }
    }

    @Test func aHeadCheckpointForgedWithMetasHashIsRefusedAndTheAuditAnchorsToTheChainsHash() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<2_048).map { sampleEvent($0) })
            let genuine = try store.checkedHead()
            #expect(genuine.offset == 2_048)
            let forged = ChainHash(bytes: [UInt8](repeating: 0xAB, count: 32))
            try storeHash(forged, at: 2_048, store)
            try store.write { txn in try txn.put(store.schema.meta, key: MetaKey.chainHead, value: forged.bytes) }
            // The record and meta agree, so the quick check passes...
            #expect(try store.head().hash == forged)
            // ...but the checkpoint's hash is not the chain's.
            #expect {
                try store.checkedHead()
            } throws: { error in
                guard case .corruptRecord(2_048, let reason) = error as? AnnalsError else { return false }
                return reason.contains(forged.hex) && reason.contains(genuine.hash.hex)
            }
            let report = try store.audit()
            #expect(!report.verification.isIntact)
            // The record's hash and meta's, each against the chain.
            #expect(report.verification.problems.map(\.offset) == [2_048, 2_048])
            #expect(report.verification.problems.allSatisfy { $0.kind == .chainBreak })
            // Anchored to the hash the chain computes at the head, which is the genuine one: the payloads are intact.
            #expect(report.anchor?.hash == genuine.hash && report.anchor?.offset == 2_048)
        }
    }

    @Test func aChangedCheckpointBelowTheHeadLeavesTheAuditUnanchored() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<2_100).map { sampleEvent($0) })
            let genuine = try store.checkedHead()
            try forgePayload(store, offset: 2_048)
            // The records after it link from its stored hash, which is still the original: the head recomputed
            // from it is the genuine one, though the checkpoint's event changed.
            #expect(try store.head() == genuine)
            #expect {
                try store.checkedHead()
            } throws: { error in
                guard case .corruptRecord(2_048, let reason) = error as? AnnalsError else { return false }
                return reason.contains("rests on it")
            }
            let report = try store.audit()
            #expect(report.verification.problems.map(\.offset) == [2_048])
            #expect(report.verification.problems.map(\.kind) == [.chainBreak])
            #expect(report.anchor == nil, "a hash resting on the changed checkpoint is no anchor")
            #expect(report.json["anchor"] == .null)
            // The events are counted all the same, the changed one included (only its link is broken).
            #expect(report.events == 2_100)
        }
    }

    /// A changed record before the checkpoint breaks its own link, which `verify` reports there: the checkpoint's
    /// hash cannot be told wrong from it, and the head is taken as before.
    @Test func aChangedRecordBeforeTheCheckpointIsNotBlamedOnIt() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<2_100).map { sampleEvent($0) })
            let genuine = try store.checkedHead()
            try forgePayload(store, offset: 1_500)
            #expect(try store.checkedHead() == genuine)
            let report = try store.audit()
            #expect(report.anchor == genuine)
            #expect(report.verification.problems.map(\.offset) == [1_500])
        }
    }

    /// An audit whose range starts after the changed checkpoint does not see it: the head's refusal is listed, and
    /// the report is not intact.
    @Test func anAuditRangeAfterAChangedCheckpointSaysWhyItHasNoAnchor() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<2_100).map { sampleEvent($0) })
            try forgePayload(store, offset: 2_048)
            let report = try store.audit(EventQuery(from: 2_049))
            #expect(report.anchor == nil)
            #expect(!report.verification.isIntact)
            #expect(report.verification.problems.map(\.offset) == [2_048])
            #expect(report.verification.problems.first?.detail.contains("before the range") == true)
            #expect(report.events == 52)
        }
    }

    /// With the range's own problems past the cap, the refusal before it is still listed, first.
    @Test func theRefusalBeforeTheRangeComesFirstAndIsNeverCappedAway() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<2_300).map { sampleEvent($0) })
            try forgePayload(store, offset: 2_048)
            try store.write { txn in
                for offset in UInt64(2_060)...2_200 {
                    var value = Array(try #require(try store.record(at: offset, txn)))
                    value[value.count - 1] ^= 0xFF
                    try txn.put(store.schema.events, key: offset.bigEndianBytes, value: value)
                }
            }
            let report = try store.audit(EventQuery(from: 2_049))
            let problems = report.verification.problems
            #expect(problems.count == EventStore.maximumReportedProblems)
            #expect(problems.first?.offset == 2_048 && problems.first?.detail.contains("before the range") == true)
            #expect(problems.dropFirst().map(\.offset) == Array(2_060..<2_159))
            #expect(report.verification.firstBadOffset == 2_048)
        }
    }

    @Test func aChangedCheckpointBeforeTheHeadsOwnLeavesTheHeadAlone() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<2_100).map { sampleEvent($0) })
            let genuine = try store.checkedHead()
            try forgePayload(store, offset: 1_024)
            // The head's hash rests on the checkpoint at 2,048, whose hash the records before it still give.
            #expect(try store.checkedHead() == genuine)
            let report = try store.audit()
            #expect(report.anchor == genuine)
            #expect(report.verification.problems.map(\.offset) == [1_024])
        }
    }

    @Test func aShortLogHasNoCheckpointToCheck() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<300).map { sampleEvent($0) })
            let head = try store.checkedHead()
            #expect(head.offset == 300)
            #expect(try store.audit().anchor == head)
        }
    }
}
