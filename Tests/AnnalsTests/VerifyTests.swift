import Foundation
import Testing

@testable import Annals

@Suite struct VerifyTests {
    private func fill(_ store: EventStore, count: Int = 300) async throws {
        _ = try await store.append(contentsOf: (0..<count).map { sampleEvent($0) })
    }

    /// Replaces the stored record at `offset` with `transform(record)`, bypassing the engine.
    private func tamper(_ store: EventStore, offset: UInt64, _ transform: @escaping ([UInt8]) -> [UInt8]?) throws {
        try store.write { txn in
            let key = offset.bigEndianBytes
            let record = try txn.get(store.schema.events, key: key)!
            if let replaced = transform(record) {
                try txn.put(store.schema.events, key: key, value: replaced)
            } else {
                try txn.delete(store.schema.events, key: key)
            }
        }
    }

    @Test func theHashAtAnAnchorThatWasTheHeadIsRecomputedOnceAppendsMovedOn() async throws {
        try await withStore { store, _ in
            try await fill(store, count: 10)
            let anchor = try store.head()
            try await fill(store, count: 5)
            // What checkAnchor does when an append lands between verify's head and its anchor check.
            let found = try store.environment.read { txn in
                try txn.recomputedChainHash(at: anchor.offset, store.schema, decoder: store.makeDecoder())
            }
            #expect(found == anchor.hash)
        }
    }

    @Test func anEmptyLogIsIntactFromAnyOffsetWithTheGenesisHash() async throws {
        try await withStore { store, _ in
            for from: UInt64 in [1, 5] {
                let report = try store.verify(from: from)
                #expect(report.problems.isEmpty && report.recordsChecked == 0, "\(report)")
                #expect(report.lastHash == .genesis, "from \(from)")
            }
        }
    }

    @Test func anEmptyLogWhoseMetaKeepsAHeadHashLostEveryRecord() async throws {
        try await withStore { store, _ in
            try await fill(store, count: 5)
            try store.write { txn in
                for offset in UInt64(1)...5 { try txn.delete(store.schema.events, key: offset.bigEndianBytes) }
            }
            let report = try store.verify()
            #expect(!report.isIntact)
            #expect(report.problems.first?.detail.contains("every record was removed") == true, "\(report.problems)")
        }
    }

    @Test func theFirstBadOffsetIsTheSmallestAndAnAnchorMismatchIsNeverCutOff() {
        var report = VerificationReport(
            from: 1, to: 2_000, recordsChecked: 2_000, lastHash: nil, problems: [], anchorMatched: false)
        for offset in UInt64(1_024)..<UInt64(1_024 + EventStore.maximumReportedProblems) {
            report.add(VerificationProblem(offset: offset, kind: .chainBreak, detail: "x"))
        }
        report.add(VerificationProblem(offset: 1_500, kind: .chainBreak, detail: "cut off"))
        report.add(VerificationProblem(offset: 100, kind: .anchorMismatch, detail: "kept"))
        #expect(report.problems.count == EventStore.maximumReportedProblems + 1)
        #expect(report.problems.last?.kind == .anchorMismatch)
        #expect(report.firstBadOffset == 100)
        #expect(VerificationReport.firstBadOffset(of: [VerificationProblem(offset: 0, kind: .index, detail: "")]) == 0)
    }

    @Test func keysThatAreNotOffsetsAtEitherEndAreReported() async throws {
        try await withStore { store, _ in
            try await fill(store, count: 10)
            try store.write { txn in
                let record = try txn.get(store.schema.events, key: UInt64(10).bigEndianBytes)!
                try txn.put(store.schema.events, key: [0, 0, 0, 0, 0, 0, 1], value: record)
                try txn.put(store.schema.events, key: UInt64(0).bigEndianBytes, value: record)
                try txn.put(store.schema.events, key: UInt64(10).bigEndianBytes + [0], value: record)
            }
            let report = try store.verify()
            #expect(report.problems.map(\.kind) == [.malformedKey, .malformedKey, .malformedKey], "\(report.problems)")
            #expect(report.recordsChecked == 10 && report.to == 10)
        }
    }

    @Test func theLastKeyAnOffsetCanHaveIsReportedNotTrapped() async throws {
        try await withStore { store, _ in
            try await fill(store, count: 10)
            try store.write { txn in
                let record = try txn.get(store.schema.events, key: UInt64(10).bigEndianBytes)!
                try txn.put(store.schema.events, key: UInt64.max.bigEndianBytes, value: record)
            }
            // Its successor cannot be named: verification reports it, and every other reader refuses it.
            let report = try store.verify()
            #expect(report.problems.map(\.kind) == [.malformedKey], "\(report.problems)")
            #expect(report.problems.first?.detail.contains("ffffffffffffffff, an offset no log reaches") == true)
            #expect(report.recordsChecked == 10 && report.to == 10)
            #expect(throws: AnnalsError.self) { _ = try store.head() }
            #expect(throws: AnnalsError.self) { _ = try store.events(EventQuery(from: 5)).collect() }
            await #expect(throws: AnnalsError.self) { _ = try await store.append(sampleEvent(1)) }
        }
    }

    @Test func aMalformedKeyAfterAHeadThatEndsAChunkIsReported() async throws {
        try await withStore { store, _ in
            try await fill(store, count: 4_096)
            let head = try store.head()
            try store.write { txn in
                let record = try txn.get(store.schema.events, key: UInt64(4_096).bigEndianBytes)!
                try txn.put(store.schema.events, key: UInt64(4_096).bigEndianBytes + [0], value: record)
            }
            let report = try store.verify(anchor: VerificationAnchor(hash: head.hash, offset: head.offset))
            #expect(report.problems.map(\.kind) == [.malformedKey], "\(report.problems)")
            #expect(report.anchorMatched == true)
        }
    }

    @Test func anIntactLogVerifies() async throws {
        try await withStore { store, _ in
            try await fill(store)
            let head = try store.head()
            let report = try store.verify(anchor: VerificationAnchor(hash: head.hash, offset: head.offset))
            #expect(report.isIntact && report.recordsChecked == 300 && report.anchorMatched == true)
            #expect(report.lastHash == head.hash)
            let range = try store.verify(from: 100, to: 150)
            #expect(range.isIntact && range.recordsChecked == 51)
        }
    }

    @Test func anEditedPayloadIsPinnedToItsOffset() async throws {
        try await withStore { store, _ in
            try await fill(store)
            try tamper(store, offset: 120) { record in
                var r = record
                r[r.count - 3] ^= 0x40
                return r
            }
            let report = try store.verify()
            #expect(report.firstBadOffset == 120)
            #expect([.checksum, .decompression].contains(report.problems[0].kind))
            #expect(report.problems.allSatisfy { $0.offset == 120 })
            #expect(throws: AnnalsError.self) { try store.events().collect() }
            // A reader delivers every event before the damaged one, then reports it.
            var reader = store.events().makeReader()
            var delivered: [UInt64] = []
            do throws(AnnalsError) {
                while let event = try reader.next() { delivered.append(event.offset) }
                Issue.record("the damaged record was not reported")
            } catch {
                guard case .corruptRecord(let offset, _) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(offset == 120)
            }
            #expect(delivered == Array(1...119))
        }
    }

    @Test func metadataThatDoesNotParseIsReportedByVerifyAndByParsedMetadata() async throws {
        try await withStore { store, _ in
            try await fill(store)
            // A well-formed envelope and a correct CRC-32C over metadata that is not JSON: what a writer bug, or a
            // forger who recomputes the checksum, would leave. Before, verify passed it.
            try tamper(store, offset: 120) { record in
                let original = try! record.withUnsafeBytes { try RecordHeader.read($0) }
                var writer = ByteWriter()
                Envelope.encode(
                    clientID: nil, version: 0, timestamp: 1_795_600_000_000, type: "item.created", actorId: nil,
                    targetId: nil, groupId: nil, metadataJSON: Array(#"{"n":"#.utf8), into: &writer)
                let header = RecordHeader(
                    codec: .raw, dictionaryID: 0, checksum: writer.bytes.withUnsafeBytes { CRC32C.checksum($0) },
                    link: original.link)
                var value = [UInt8](repeating: 0, count: header.size)
                value.withUnsafeMutableBytes { header.write(to: $0) }
                return value + writer.bytes
            }
            let event = try #require(try store.event(at: 120))
            #expect {
                try event.parsedMetadata()
            } throws: { error in
                guard case .corruptRecord(120, let reason) = error as? AnnalsError else { return false }
                return reason.contains("field 'metadata' is not valid JSON")
            }
            let report = try store.verify()
            let problem = try #require(report.problems.first)
            #expect(problem.offset == 120 && problem.kind == .envelope, "\(report.problems)")
            #expect(problem.detail.contains("field 'metadata'"), "\(problem)")
        }
    }

    @Test func aForgedHashBreaksTheChain() async throws {
        try await withStore { store, _ in
            try await fill(store)
            try tamper(store, offset: 7) { record in
                var r = record
                r[20] ^= 1
                return r
            }
            // Byte 20 is in the record's chain tag; the payload is intact, so the chain goes on past it.
            let report = try store.verify()
            #expect(report.problems.map(\.offset) == [7])
            #expect(report.problems.map(\.kind) == [.chainBreak])
        }
    }

    @Test func aDeletedRecordIsMissing() async throws {
        try await withStore { store, _ in
            try await fill(store)
            try tamper(store, offset: 200) { _ in nil }
            let report = try store.verify()
            #expect(report.problems.first?.offset == 200)
            #expect(report.problems.first?.kind == .missing)
            #expect(report.problems.contains { $0.offset == 201 && $0.kind == .chainBreak })
        }
    }

    @Test func swappedRecordsAreDetected() async throws {
        try await withStore { store, _ in
            try await fill(store)
            var saved: [UInt8] = []
            try tamper(store, offset: 50) { record in
                saved = record
                return nil
            }
            let fifty = saved
            var fiftyOne: [UInt8] = []
            try tamper(store, offset: 51) { record in
                fiftyOne = record
                return fifty
            }
            let replacement = fiftyOne
            try store.write { txn in
                try txn.put(store.schema.events, key: UInt64(50).bigEndianBytes, value: replacement)
            }
            // 50 breaks the chain; the chain has diverged from there, so 51's link is not reported on its own.
            let report = try store.verify()
            #expect(report.firstBadOffset == 50)
            #expect(report.problems.map(\.kind) == [.chainBreak])
        }
    }

    @Test func anAnchorDetectsATruncatedTail() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(path: directory + "/s")
            defer { store.close() }
            try await fill(store, count: 100)
            try store.backup(to: directory + "/early")
            try await fill(store, count: 20)
            let anchor = try store.head()
            let early = try EventStore(path: directory + "/early", options: StoreOptions(readOnly: true))
            defer { early.close() }
            let report = try early.verify(anchor: VerificationAnchor(hash: anchor.hash, offset: anchor.offset))
            #expect(report.problems.first?.kind == .truncated)
            #expect(report.problems.first?.detail.contains("20 record(s)") == true)
            #expect(report.anchorMatched == false)
            // A wrong hash at an existing offset is a mismatch.
            let wrong = try early.verify(anchor: VerificationAnchor(hash: .genesis, offset: 50))
            #expect(wrong.problems.map(\.kind) == [.anchorMismatch])
        }
    }
}
