import Foundation
import Testing

@testable import Annals

@Suite struct RecordFormatTests {
    @Test func headerRoundTripsAndRejectsDamage() throws {
        let hash = ChainHash.genesis.next(offset: 1, payload: UnsafeRawBufferPointer(start: nil, count: 0))
        let checkpoint = RecordHeader.forRecord(
            at: 2_048, codec: .zstdDictionary, dictionaryID: 7, checksum: 0xDEAD_BEEF, hash: hash)
        let tagged = RecordHeader.forRecord(at: 2_049, codec: .raw, dictionaryID: 0, checksum: 1, hash: hash)
        #expect(checkpoint.link == .hash(hash) && checkpoint.size == 42)
        #expect(tagged.link == .tag(hash.tag) && tagged.size == 26)
        for (header, version) in [(checkpoint, UInt8(1)), (tagged, UInt8(2))] {
            var buffer = [UInt8](repeating: 0, count: header.size)
            buffer.withUnsafeMutableBytes { header.write(to: $0) }
            #expect(buffer[0] == version)
            #expect(try buffer.withUnsafeBytes { try RecordHeader.read($0) } == header)
            #expect(header.matches(hash))
            #expect(!header.matches(.genesis))
            #expect(throws: RecordFormatError.truncatedHeader(length: header.size - 1, expected: header.size)) {
                try Array(buffer.dropLast()).withUnsafeBytes { try RecordHeader.read($0) }
            }
        }
        var buffer = [UInt8](repeating: 0, count: RecordHeader.checkpointSize)
        buffer.withUnsafeMutableBytes { checkpoint.write(to: $0) }
        var badVersion = buffer
        badVersion[0] = 9
        #expect(throws: RecordFormatError.unknownFormatVersion(9)) {
            try badVersion.withUnsafeBytes { try RecordHeader.read($0) }
        }
        var badCodec = buffer
        badCodec[1] = 5
        #expect(throws: RecordFormatError.unknownCodec(5)) {
            try badCodec.withUnsafeBytes { try RecordHeader.read($0) }
        }
        #expect(throws: RecordFormatError.truncatedHeader(length: 0, expected: 26)) {
            try [UInt8]().withUnsafeBytes { try RecordHeader.read($0) }
        }
    }

    @Test func envelopeRoundTrips() throws {
        let identity = EventIdentity(nonce: 0x0ABC_DEF0_1234_5678)
        let client = UUID()
        for id in [client, nil] as [UUID?] {
            var writer = ByteWriter()
            Envelope.encode(
                clientID: id, version: 42, timestamp: 1_795_600_000_123, type: "item.created", actorId: "u-1",
                targetId: nil, groupId: "org ✓", metadataJSON: Array(#"{"a":1}"#.utf8), into: &writer)
            let event = try writer.bytes.withUnsafeBytes { try Envelope.decode($0, offset: 99, identity: identity) }
            #expect(event.id == (id ?? identity.assignedID(offset: 99)))
            #expect(event.version == 42 && event.timestamp == 1_795_600_000_123 && event.type == "item.created")
            #expect(event.actorId == "u-1" && event.targetId == nil && event.groupId == "org ✓")
            #expect(event.metadataJSON == Array(#"{"a":1}"#.utf8))
            let truncated = Array(writer.bytes.dropLast(2))
            #expect(throws: RecordFormatError.self) {
                try truncated.withUnsafeBytes { try Envelope.decode($0, offset: 99, identity: identity) }
            }
        }
    }

    @Test func metadataThatIsNotAnObjectIsAMalformedEnvelope() throws {
        let cases: [(metadata: String, reason: String?)] = [
            ("[1]", "not a JSON object"), (#"{"a":1} x"#, "not valid JSON"), (#"{"a": 1}"#, nil), (#"{"a":1}"#, nil),
        ]
        for (metadata, reason) in cases {
            let checked = Result { () throws(RecordFormatError) in try Envelope.checkMetadata(Array(metadata.utf8)) }
            switch (checked, reason) {
            case (.success, nil): break
            case (.failure(.malformedEnvelope(let detail)), let reason?):
                #expect(detail.contains("field 'metadata' is \(reason)"), "\(detail)")
            default:
                Issue.record("\(metadata): \(checked)")
            }
        }
    }

    @Test func aRecordedEventBuiltByHandThrowsForMetadataThatDoesNotParse() throws {
        var event = RecordedEvent(
            offset: 9, id: UUID(), type: "t", actorId: nil, targetId: nil, groupId: nil, timestamp: 0, version: 0,
            metadataJSON: Array(#"{"a":1}"#.utf8))
        #expect(try event.parsedMetadata() == .object(["a": .number("1")]))
        event.metadataJSON = Array(#"{"a":"#.utf8)
        #expect {
            try event.parsedMetadata()
        } throws: { error in
            guard case .corruptRecord(9, let reason) = error as? AnnalsError else { return false }
            return reason.hasPrefix("field 'metadata' is not valid JSON")
        }
        #expect(event.metadata == .object([:]), "the non-throwing accessor keeps its fallback for hand-built events")
    }

    @Test func assignedIDsCarryTheOffset() {
        let identity = EventIdentity(nonce: 0x0123_4567_89AB_CDEF)
        for offset: UInt64 in [1, 255, 1 << 40, (1 << 62) - 1] {
            let id = identity.assignedID(offset: offset)
            #expect(identity.offset(ofAssigned: id) == offset)
            #expect(identity.isReserved(id))
            #expect(id.uuidString.dropFirst(14).first == "8")
        }
        #expect(identity.offset(ofAssigned: UUID()) == nil)
        #expect(EventIdentity(nonce: 1).offset(ofAssigned: identity.assignedID(offset: 5)) == nil)
    }

    @Test func chainHashHexAndAnchors() {
        let hash = ChainHash.genesis.next(offset: 3, payload: UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(ChainHash(hex: hash.hex) == hash)
        #expect(ChainHash(hex: "zz") == nil)
        #expect(VerificationAnchor("\(hash.hex)@12")?.offset == 12)
        #expect(VerificationAnchor("\(hash.hex)@0")?.offset == 0)
        #expect(VerificationAnchor("\(hash.hex)@-1") == nil)
        #expect(VerificationAnchor("abc@12") == nil)
        // The reason names the part that is wrong.
        for (text, part) in [
            ("\(hash.hex)@99999999999999999999", "the offset"), ("abc@12", "the hash 'abc'"),
            ("\(hash.hex)", "no single '@'"),
        ] {
            guard case .failure(let error) = VerificationAnchor.parse(text) else {
                Issue.record("\(text) parsed")
                continue
            }
            #expect(error.message.contains(part), "\(error.message)")
        }
    }

    @Test func crc32cMatchesTheKnownVector() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func postingBlocksDeltaEncode() throws {
        var block = PostingBlock(firstOffset: 10, rank: 5)
        for offset: UInt64 in [10, 11, 300, 70_000] { block.append(offset) }
        let stored = block.stored
        let decoded = try stored.withUnsafeBytes { try PostingBlock(firstOffset: 10, stored: $0) }
        #expect(decoded.rank == 5 && decoded.count == 4 && decoded.lastOffset == 70_000)
        let offsets = try stored.withUnsafeBytes { try PostingBlock.offsets(firstOffset: 10, stored: $0) }
        #expect(offsets == [10, 11, 300, 70_000])
    }

    @Test func commitPostingsRoundTrip() throws {
        var postings = CommitPostings()
        postings.add(type: "a", actorId: "u", targetId: "t", groupId: "g", timestamp: 120_000, offset: 7)
        postings.add(type: "a", actorId: nil, targetId: "t", groupId: nil, timestamp: 180_001, offset: 9)
        let record = postings.encoded(firstOffset: 7)
        var decoded = CommitPostings()
        try record.withUnsafeBytes { bytes in
            try CommitPostings.decode(
                bytes, firstOffset: 7, { _, _, _ in true },
                offsets: { kind, symbol, offsets in decoded.add(kind: kind, symbol: symbol, offsets: offsets) })
        }
        #expect(decoded.postings(.type) == [Array("a".utf8): [7, 9]])
        #expect(decoded.postings(.target) == [Array("t".utf8): [7, 9]])
        #expect(decoded.postings(.actor) == [Array("u".utf8): [7]])
        #expect(
            decoded.postings(.minute) == [IndexKind.minuteSymbol(120_000): [7], IndexKind.minuteSymbol(180_001): [9]])
    }

}
