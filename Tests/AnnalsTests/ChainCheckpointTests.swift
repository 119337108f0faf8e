import Foundation
import LMDB
import Testing

@testable import Annals

/// Tagged records, checkpoint records and the head's hash in `meta` (store format 3), and the upgrade of a format 2
/// store whose records all carry their whole hash.
@Suite struct ChainCheckpointTests {
    /// The header of the stored record at `offset`.
    private func header(_ store: EventStore, _ offset: UInt64) throws -> RecordHeader {
        try store.environment.read { txn in
            let record = try #require(try store.record(at: offset, txn))
            return try RecordHeader.read(record)
        }
    }

    @Test func checkpointsCarryTheWholeHashAndRangesStartFromThem() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<1_500).map { sampleEvent($0) })
            let early = try store.head()
            _ = try await store.append(contentsOf: (1_500..<2_100).map { sampleEvent($0) })

            for offset: UInt64 in [1_024, 2_048] {
                #expect(try header(store, offset).size == RecordHeader.checkpointSize)
            }
            for offset: UInt64 in [1, 1_023, 1_025, 1_500, 2_100] {
                #expect(try header(store, offset).size == RecordHeader.taggedSize)
            }
            let report = try store.verify(anchor: VerificationAnchor(hash: early.hash, offset: early.offset))
            #expect(report.isIntact && report.recordsChecked == 2_100 && report.anchorMatched == true)
            #expect(report.lastHash == (try store.head().hash))
            // A range's first link is checked from the hash recomputed from the checkpoint at 1,024.
            let range = try store.verify(from: 1_501, to: 2_000)
            #expect(range.isIntact && range.recordsChecked == 500)
            #expect(try store.verify(to: 1_500).lastHash == early.hash)

            let statistics = try store.statistics()
            #expect(statistics.headerBytes == 2 * 42 + 2_098 * 26)
        }
    }

    @Test func aForgedRecordIsPinnedAndTheNextCheckpointResynchronizes() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<2_100).map { sampleEvent($0) })
            let anchor = try store.head()
            try forgePayload(store, offset: 1_500)
            try forgePayload(store, offset: 2_090)
            #expect(try store.event(at: 1_500) != nil, "a forged record reads as any other")

            let report = try store.verify(anchor: VerificationAnchor(hash: anchor.hash, offset: anchor.offset))
            #expect(report.problems.map(\.offset) == [1_500, 2_090, 2_100])
            #expect(report.problems.map(\.kind) == [.chainBreak, .chainBreak, .anchorMismatch])
            // The anchor is compared with the hash the records give at the head, recomputed from the checkpoint at
            // 2,048 through the forgery at 2,090: it no longer matches, though meta's head hash is untouched.
            #expect(report.anchorMatched == false)
            // Checked from the checkpoint at 2,048, the range before the second forgery is intact.
            #expect(try store.verify(from: 2_049, to: 2_089).isIntact)
        }
    }

    /// Flips a bit of the stored chain tag of the record at `offset` (the last 16 bytes of its 26-byte header).
    private func damageTag(_ store: EventStore, offset: UInt64) throws {
        try store.write { txn in
            var record = try #require(try store.record(at: offset, txn).map { Array($0) })
            #expect(try record.withUnsafeBytes { try RecordHeader.read($0) }.link.hash == nil)
            record[RecordHeader.taggedSize - 1] ^= 1
            try txn.put(store.schema.events, key: offset.bigEndianBytes, value: record)
        }
    }

    @Test func aChainBreakSaysWhenTheLinksAfterItCannotBeChecked() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<1_100).map { sampleEvent($0) })
            let anchor = try store.head()
            // A damaged tag alone: the next link holds, and the break says nothing more.
            try damageTag(store, offset: 300)
            // A damaged tag hiding a forgery after it: the next link fails too, so the records up to the checkpoint
            // are not checked, and the break says so (otherwise it reads as the tag alone).
            try damageTag(store, offset: 500)
            try forgePayload(store, offset: 501)
            try forgePayload(store, offset: 800)
            let report = try store.verify(anchor: VerificationAnchor(hash: anchor.hash, offset: anchor.offset))
            #expect(report.problems.map(\.offset) == [300, 500], "\(report.problems)")
            #expect(report.problems.first?.detail.contains("unchecked") == false)
            let detail = report.problems.last?.detail ?? ""
            #expect(detail.hasPrefix("stored tag"), "\(detail)")
            #expect(detail.contains("offsets 501…1023 are unchecked"), "\(detail)")
            #expect(report.anchorMatched == true, "the checkpoint at 1,024 and the records after it are untouched")
        }
    }

    @Test func aTruncatedTailBreaksTheHeadHashEvenWithoutAnAnchor() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<9).map { sampleEvent($0) })
            let anchor = try store.head()
            let seventh = try #require(try store.verify(to: 7).lastHash)
            try store.write { txn in
                for offset: UInt64 in [8, 9] { try txn.delete(store.schema.events, key: offset.bigEndianBytes) }
            }
            let report = try store.verify(anchor: VerificationAnchor(hash: anchor.hash, offset: anchor.offset))
            #expect(report.problems.map(\.offset) == [7, 8])
            #expect(report.problems.map(\.kind) == [.chainBreak, .truncated])
            #expect(report.problems.first?.detail.contains("chain.head") == true)
            #expect(report.lastHash == seventh)
            #expect(try store.verify().problems.map(\.kind) == [.chainBreak], "caught without the anchor too")
        }
    }

    @Test func aTailCutBackToACheckpointIsCaughtByHeadAndRefusesAppends() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<1_030).map { sampleEvent($0) })
            let checkpoint = try #require(try store.verify(to: 1_024).lastHash)
            try store.write { txn in
                for offset in UInt64(1_025)...1_030 { try txn.delete(store.schema.events, key: offset.bigEndianBytes) }
            }
            #expect {
                try store.head()
            } throws: { error in
                guard case .corruptRecord(1_024, let reason) = error as? AnnalsError else { return false }
                return reason.contains("records after it were removed")
            }
            await #expect(throws: AnnalsError.self) { _ = try await store.append(sampleEvent(0)) }
            #expect(try store.verify(from: 1_000).problems.map(\.kind) == [.chainBreak])
            // An anchor taken at the checkpoint still matches: the record carries its own hash.
            #expect(try store.verify(anchor: VerificationAnchor(hash: checkpoint, offset: 1_024)).anchorMatched == true)
        }
    }

    @Test func aForgedHeadIsReportedOnce() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<300).map { sampleEvent($0) })
            try forgePayload(store, offset: 300)
            let report = try store.verify()
            #expect(report.problems.map(\.offset) == [300])
            #expect(report.problems.first?.detail.hasPrefix("stored tag") == true)
        }
    }

    @Test func aDamagedHeadHashIsReportedAndRefusesAppends() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<300).map { sampleEvent($0) })
            try store.write { txn in
                try txn.put(store.schema.meta, key: MetaKey.chainHead, value: [UInt8](repeating: 7, count: 32))
            }
            let report = try store.verify()
            #expect(report.problems.map(\.offset) == [300])
            #expect(report.problems.first?.kind == .chainBreak)
            #expect(report.problems.first?.detail.contains("chain.head") == true)
            await #expect(throws: AnnalsError.self) { try await store.append(sampleEvent(300)) }
            let last = try store.environment.read { txn in try txn.lastOffset(store.schema) }
            #expect(last == 300, "nothing was appended to the broken chain")
        }
    }

    @Test func anAnchorAtTheHeadIsComparedWithTheRecordsNotWithADamagedHeadHash() async throws {
        try await withStore { store, _ in
            let (intact, damaged) = try await appendAndDamageTheHeadHashPastItsTag(store)
            let report = try store.verify(anchor: VerificationAnchor(hash: intact.hash, offset: intact.offset))
            #expect(report.anchorMatched == true, "the records still give the anchored hash: \(report.problems)")
            #expect(report.problems.map(\.kind) == [.chainBreak], "meta's damage, reported on its own")
            #expect(report.problems.first?.offset == 300)
            #expect(report.problems.first?.detail.contains("chain.head") == true)
            // An anchor of meta's damaged hash, which the records do not give, mismatches.
            let stale = try store.verify(anchor: VerificationAnchor(hash: damaged, offset: 300))
            #expect(stale.anchorMatched == false)
            #expect(stale.problems.map(\.kind) == [.chainBreak, .anchorMismatch])
        }
    }

    /// Appends 300 events, then changes the last byte of meta's head hash (`chain.head`), leaving alone the first 16
    /// bytes, which the head record's tag repeats: ``EventStore/head()`` still hands out meta's hash. Returns the
    /// intact head and the damaged hash.
    private func appendAndDamageTheHeadHashPastItsTag(_ store: EventStore) async throws -> (LogHead, ChainHash) {
        _ = try await store.append(contentsOf: (0..<300).map { sampleEvent($0) })
        let intact = try store.head()
        var damaged = intact.hash.bytes
        damaged[31] ^= 1
        try store.write { txn in try txn.put(store.schema.meta, key: MetaKey.chainHead, value: damaged) }
        return (intact, ChainHash(bytes: damaged))
    }

    @Test func aHeadHashDamagedPastItsTagIsRefusedByCheckedHeadAndAppends() async throws {
        try await withStore { store, _ in
            let (intact, _) = try await appendAndDamageTheHeadHashPastItsTag(store)
            #expect(try store.head().hash != intact.hash, "head() compares the tag only")
            #expect {
                try store.checkedHead()
            } throws: { error in
                guard case .corruptRecord(300, let reason) = error as? AnnalsError else { return false }
                return reason.contains("chain.head") && reason.contains(intact.hash.hex)
            }
            await #expect(throws: AnnalsError.self) { try await store.append(sampleEvent(300)) }
            let last = try store.environment.read { txn in try txn.lastOffset(store.schema) }
            #expect(last == 300, "nothing was appended to the broken chain")
            #expect(try store.verify().problems.map(\.offset) == [300], "the damage stays where it is")
            // Once meta is repaired, the writer appends again.
            try store.write { txn in try txn.put(store.schema.meta, key: MetaKey.chainHead, value: intact.hash.bytes) }
            _ = try await store.append(sampleEvent(300))
            #expect(try store.checkedHead().offset == 301)
            #expect(try store.verify().isIntact)
        }
    }

    @Test func aFormat2StoreIsReadAsItIsAndUpgradedWhenOpenedForWriting() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            try await makeFormat2Store(at: path, events: 300)
            do {
                let reader = try EventStore(path: path, options: StoreOptions(readOnly: true))
                defer { reader.close() }
                #expect(try reader.verify().isIntact)
                #expect(try reader.statistics().headerBytes == 300 * 42)
                #expect(try reader.events().collect().count == 300)
            }
            let store = try EventStore(path: path)
            defer { store.close() }
            let format = try store.environment.read { txn in
                try txn.metaU64(store.schema, MetaKey.formatVersion)
            }
            #expect(format == StoreSchema.formatVersion)
            _ = try await store.append(contentsOf: (300..<400).map { sampleEvent($0) })
            #expect(try header(store, 300).size == RecordHeader.checkpointSize)
            #expect(try header(store, 301).size == RecordHeader.taggedSize)
            let report = try store.verify()
            #expect(report.isIntact && report.recordsChecked == 400)
            #expect(report.lastHash == (try store.head().hash))
            #expect(try store.statistics().headerBytes == 300 * 42 + 100 * 26)
        }
    }

    @Test func aFormat1StoreIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            do {
                let store = try EventStore(path: path)
                defer { store.close() }
                try store.write { txn in try txn.setMetaU64(store.schema, MetaKey.formatVersion, 1) }
            }
            #expect {
                try EventStore(path: path)
            } throws: { error in
                guard case AnnalsError.unsupportedFormat(let reason) = error else { return false }
                return reason.contains("format version 1")
            }
        }
    }

    /// Only a store without records or meta entries is new: one that lost its format version is refused, and is not
    /// given a new version and nonce (which would change the ids assigned from then on).
    @Test func aStoreThatLostItsFormatVersionIsRefusedUnchanged() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let nonce: UInt64? = try await {
                let store = try EventStore(path: path)
                defer { store.close() }
                _ = try await store.append(sampleEvent(1))
                return try store.writeReturning { txn in
                    _ = try txn.delete(store.schema.meta, key: MetaKey.formatVersion)
                    return try txn.metaU64(store.schema, MetaKey.nonce)
                }
            }()
            for options in [StoreOptions(), StoreOptions(readOnly: true)] {
                #expect {
                    try EventStore(path: path, options: options)
                } throws: { error in
                    guard case AnnalsError.unsupportedFormat(let reason) = error else { return false }
                    return reason.contains("format version missing")
                }
            }
            let environment = try Environment(path: path, options: EnvironmentOptions(readOnly: true))
            let schema = try StoreSchema(environment: environment, create: false)
            let (format, nonceAfter) = try environment.read { txn in
                (try txn.metaU64(schema, MetaKey.formatVersion), try txn.metaU64(schema, MetaKey.nonce))
            }
            #expect(format == nil)
            #expect(nonceAfter == nonce)
        }
    }
}
