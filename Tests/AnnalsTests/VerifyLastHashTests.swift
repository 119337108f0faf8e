import Foundation
import Testing

@testable import Annals

/// The last hash a verification reports, and the audit anchors to when the head does not check out: only a hash
/// recomputed from the last record's payload, never one a damaged record leaves behind or stores.
@Suite struct VerifyLastHashTests {
    /// Replaces the stored record at `offset` with `transform(record)`, bypassing the engine.
    private func tamper(_ store: EventStore, offset: UInt64, _ transform: @escaping (inout [UInt8]) -> Void) throws {
        try store.write { txn in
            var record = try #require(try store.record(at: offset, txn).map { Array($0) })
            transform(&record)
            try txn.put(store.schema.events, key: offset.bigEndianBytes, value: record)
        }
    }

    /// A head whose header cannot be read has no recomputed hash: the summary names none, where it used to name the
    /// hash of the record before it at the head's offset, and the audit is anchored nowhere.
    @Test func aHeadWhoseHeaderCannotBeReadHasNoLastHash() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) })
            try tamper(store, offset: 10) { $0[0] = 0x03 }
            let report = try store.verify()
            #expect(report.problems.map(\.offset) == [10] && report.problems.first?.kind == .header, "\(report)")
            #expect(report.to == 10)
            #expect(report.lastHash == nil, "not the hash of offset 9")
            let audit = try store.audit()
            #expect(audit.anchor == nil, "\(String(describing: audit.anchor))")
            #expect(audit.json["coveredPrefix"] == .object(["lastOffset": .integer(10), "hash": .null]))
        }
    }

    /// A checkpoint at the head whose stored hash was damaged: the last hash is the one recomputed from its payload,
    /// not the damaged bytes, and `meta`'s intact head hash is not reported against those bytes.
    @Test func aCheckpointHeadWithADamagedStoredHashGivesTheRecomputedHash() async throws {
        try await withStore { store, _ in
            for batch in 0..<4 {
                _ = try await store.append(contentsOf: (batch * 256..<(batch + 1) * 256).map { sampleEvent($0) })
            }
            let head = try store.head()
            #expect(head.offset == RecordHeader.checkpointInterval)
            try tamper(store, offset: head.offset) { $0[RecordHeader.checkpointSize - 1] ^= 1 }
            let report = try store.verify()
            #expect(report.problems.map(\.offset) == [head.offset], "\(report.problems)")
            #expect(report.problems.map(\.kind) == [.chainBreak])
            #expect(report.lastHash == head.hash)
            #expect(try store.audit().anchor?.hash == head.hash)
        }
    }

    /// A range whose last offsets are missing ends at no recomputed hash: not at the hash of the last record present.
    @Test func aRangeWhoseLastOffsetsAreMissingHasNoLastHash() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) })
            try store.write { txn in
                for offset: UInt64 in [7, 8] { try txn.delete(store.schema.events, key: offset.bigEndianBytes) }
            }
            let report = try store.verify(from: 5, to: 8)
            #expect(report.to == 8 && report.problems.map(\.kind) == [.missing], "\(report)")
            #expect(report.lastHash == nil)
        }
    }
}
