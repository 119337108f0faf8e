import Foundation
import LMDB
import Testing

@testable import Annals

/// Verification checks a chunk's records on every core, each range following the chain on its own, then reports
/// them in order: it must report exactly what checking them one by one on one thread reports, whatever the damage
/// and wherever it falls against the ranges and checkpoints.
@Suite struct ParallelVerifyTests {
    /// The offsets of the events a tally is handed.
    private struct OffsetTally: EventTally {
        static var takesEvents: Bool { true }
        var offsets: [UInt64] = []
        mutating func add(_ event: RecordedEvent) { offsets.append(event.offset) }
        mutating func combine(_ other: consuming OffsetTally) { offsets += other.offsets }
    }

    /// The report and the offsets of the events tallied, checked in parallel or on one thread.
    private func verification(_ store: EventStore, from: UInt64 = 1, parallel: Bool) throws -> (
        VerificationReport, [UInt64]
    ) {
        let head = try? store.head()
        let (report, tally) = try store.verify(
            from: from, to: nil, anchor: head.map { VerificationAnchor(hash: $0.hash, offset: $0.offset) },
            progress: nil, tally: OffsetTally(), parallel: parallel)
        #expect(Set(tally.offsets).count == tally.offsets.count, "an event tallied twice")
        return (report, tally.offsets.sorted())
    }

    /// Replaces the stored record at `offset` with `transform(record)` (deletes it on `nil`), bypassing the engine.
    private func tamper(_ store: EventStore, _ offset: UInt64, _ transform: @escaping ([UInt8]) -> [UInt8]?) throws {
        try store.write { txn in
            let key = offset.bigEndianBytes
            guard let record = try txn.get(store.schema.events, key: key) else { return }
            if let replaced = transform(record) {
                try txn.put(store.schema.events, key: key, value: replaced)
            } else {
                try txn.delete(store.schema.events, key: key)
            }
        }
    }

    /// The record at `offset` rewritten raw with `header`'s link, a changed payload digit when `forge` is set, and
    /// a correct CRC-32C: a forger's record, or (with a tag at a checkpoint) a header the writer never writes.
    private func rewrite(
        _ store: EventStore, _ offset: UInt64, link: @escaping (RecordHeader) -> RecordHeader.Link, forge: Bool
    )
        throws
    {
        let decoder = store.makeDecoder()
        try store.write { txn in
            guard let record = try store.record(at: offset, txn), let original = try? RecordHeader.read(record),
                var payload = try? decoder.withPayload(record, txn, { _, payload in Array(payload) })
            else { return }
            let zero = UInt8(ascii: "0")
            if forge, let position = payload.lastIndex(where: { (zero...zero + 9).contains($0) }) {
                payload[position] = zero + (payload[position] - zero + 1) % 10
            }
            let header = RecordHeader(
                codec: .raw, dictionaryID: 0, checksum: payload.withUnsafeBytes { CRC32C.checksum($0) },
                link: link(original))
            var value = [UInt8](repeating: 0, count: header.size)
            value.withUnsafeMutableBytes { header.write(to: $0) }
            try txn.put(store.schema.events, key: offset.bigEndianBytes, value: value + payload)
        }
    }

    /// One kind of damage at `offset`, chosen by `kind`.
    private func damage(_ store: EventStore, _ offset: UInt64, kind: Int) throws {
        switch kind {
        case 0:  // a flipped bit in the stored tag or whole hash
            try tamper(store, offset) { record in
                var r = record
                r[12] ^= 0x10
                return r
            }
        case 1:  // a forged payload keeping its stored link
            try rewrite(store, offset, link: \.link, forge: true)
        case 2:  // a deleted record
            try tamper(store, offset) { _ in nil }
        case 3:  // a flipped byte in the stored payload: checksum or decompression
            try tamper(store, offset) { record in
                var r = record
                r[r.count - 3] ^= 0x5a
                return r
            }
        case 4:  // a header cut short
            try tamper(store, offset) { record in Array(record.prefix(5)) }
        case 5:  // a key that is not an offset after this one
            try store.write { txn in
                guard let record = try txn.get(store.schema.events, key: offset.bigEndianBytes) else { return }
                try txn.put(store.schema.events, key: offset.bigEndianBytes + [7], value: record)
            }
        case 6:  // a tagged header where a whole hash belongs (or the reverse), payload intact
            try rewrite(
                store, offset,
                link: { header in
                    switch header.link {
                    case .hash(let hash): .tag(hash.tag)
                    case .tag: .hash(.genesis)
                    }
                }, forge: false)
        default:  // two records swapped
            let next = offset + 1
            var first: [UInt8]?
            var second: [UInt8]?
            try tamper(store, offset) { record in
                first = record
                return record
            }
            try tamper(store, next) { record in
                second = record
                return first
            }
            if let second { try tamper(store, offset) { _ in second } }
        }
    }

    @Test(arguments: [11, 23, 37])
    func randomDamageIsReportedAsARecordByRecordCheckReportsIt(seed: Int) async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<5_000).map { sampleEvent($0) })
            var random = SeededGenerator(state: UInt64(seed))
            // Offsets near checkpoints and near the even cut of a 4,096-record chunk, where the ranges start.
            let near: [UInt64] = [
                1, 1_023, 1_024, 1_025, 2_047, 2_048, 2_049, 3_072, 4_095, 4_096, 4_097, 4_999, 5_000,
            ]
            for round in 0..<12 {
                let offset =
                    Bool.random(using: &random)
                    ? near.randomElement(using: &random)! : UInt64.random(in: 1...5_000, using: &random)
                let kind = Int.random(in: 0...7, using: &random)
                try damage(store, offset, kind: kind)
                for from: UInt64 in [1, 1_500] {
                    let parallel = try verification(store, from: from, parallel: true)
                    let sequential = try verification(store, from: from, parallel: false)
                    #expect(
                        parallel.0 == sequential.0,
                        "round \(round), damage \(kind) at \(offset), from \(from):\n\(parallel.0.problems)\n\(sequential.0.problems)"
                    )
                    #expect(parallel.1 == sequential.1, "round \(round): the tallied events differ")
                }
            }
            #expect(try !store.verify().isIntact)
        }
    }

    @Test func anIntactLogIsCheckedInRangesThatStartAtCheckpoints() async throws {
        let offsets = Array(UInt64(1)...4_096)
        let ranges = RecordCheck.ranges(count: offsets.count, workers: 2) { offsets[$0] }
        #expect(ranges == [0..<2_047, 2_047..<4_096], "the second range starts at the checkpoint 2,048")
        // No checkpoint within reach: the even cut.
        let gapped = (0..<300).map { UInt64($0) * 2_000 + 1 }
        #expect(RecordCheck.ranges(count: gapped.count, workers: 2) { gapped[$0] } == [0..<150, 150..<300])
        #expect(RecordCheck.ranges(count: 200, workers: 1) { offsets[$0] } == [0..<200])
        // Four workers over 4,096 records from offset 1: each later range starts at a checkpoint.
        let four = RecordCheck.ranges(count: 4_096, workers: 4) { offsets[$0] }
        #expect(four.dropFirst().allSatisfy { RecordHeader.isCheckpoint(offsets[$0.lowerBound]) })
        #expect(four.first?.lowerBound == 0 && four.last?.upperBound == 4_096)

        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<5_000).map { sampleEvent($0) })
            let head = try store.head()
            let parallel = try verification(store, parallel: true)
            #expect(parallel.0.isIntact && parallel.0.recordsChecked == 5_000 && parallel.0.lastHash == head.hash)
            #expect(parallel.1 == Array(1...5_000))
        }
    }

    @Test func anAuditTalliedInRangesEqualsOneTalliedRecordByRecord() async throws {
        try await withStore { store, _ in
            // Timestamps that go back and forth, so that each range's first and last are not the whole range's.
            let events = (0..<5_000).map { i in
                var event = sampleEvent(i, type: i % 97 == 0 ? "plugin_action_failed" : nil)
                event.timestamp = 1_700_000_000_000 + Int64((i * 7_919) % 5_000)
                if i % 11 == 0 { event.actorId = nil }
                return event
            }
            _ = try await store.append(contentsOf: events)
            for query in [EventQuery(), EventQuery(actorId: "user-3"), EventQuery(from: 1_500, to: 4_200)] {
                let parallel = try store.verify(
                    from: query.from, to: min(query.to, 5_000), anchor: nil, progress: nil,
                    tally: AuditTally(query: query), parallel: true
                ).tally
                let sequential = try store.verify(
                    from: query.from, to: min(query.to, 5_000), anchor: nil, progress: nil,
                    tally: AuditTally(query: query), parallel: false
                ).tally
                #expect(parallel.total == sequential.total && parallel.total > 0)
                #expect(parallel.types == sequential.types)
                #expect(parallel.actors == sequential.actors)
                #expect(parallel.failuresInOrder == sequential.failures && !parallel.failures.isEmpty)
            }
            let report = try store.audit()
            #expect(report.events == 5_000 && report.actors.first?.actor == nil)
            #expect(report.failures.map(\.offset) == Array(stride(from: 1, through: 5_000, by: 97)).map(UInt64.init))
        }
    }
}
