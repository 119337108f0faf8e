import Testing

@testable import Annals

/// Varints written by `ByteWriter` read back through `ByteReader`, at every length from one byte to ten.
@Suite struct ByteCodingTests {
    @Test func varintsRoundTripAtEveryLength() throws {
        var values: [UInt64] = [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 1_795_685_467_810, UInt64.max]
        for bits in stride(from: 7, through: 63, by: 7) {
            values += [(1 << UInt64(bits)) - 1, 1 << UInt64(bits)]
        }
        var writer = ByteWriter()
        for value in values { writer.varint(value) }
        writer.u8(0xAA)
        let expectedLengths = values.map { value in max(1, (64 - value.leadingZeroBitCount + 6) / 7) }
        #expect(writer.bytes.count == expectedLengths.reduce(0, +) + 1)
        let read: (values: [UInt64], last: UInt8, atEnd: Bool)? = writer.bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            var decoded: [UInt64] = []
            do {
                for _ in values { decoded.append(try reader.varint()) }
                return (decoded, try reader.u8(), reader.isAtEnd)
            } catch {
                return nil
            }
        }
        let (decoded, last, atEnd) = try #require(read)
        #expect(decoded == values)
        #expect(last == 0xAA && atEnd)
    }
}

/// Strings are appended to keys and records as their UTF-8, in one copy.
@Suite struct UTF8AppendTests {
    @Test func appendsTheUTF8OfEveryKindOfString() {
        let strings = [
            "", "thing-1", "a longer identifier than fifteen bytes", "Café ☕ 𝄞", String(repeating: "é", count: 40),
        ]
        for string in strings {
            var bytes: [UInt8] = [0xFF]
            bytes.appendUTF8(string)
            #expect(bytes == [0xFF] + Array(string.utf8))
            var writer = ByteWriter()
            writer.lengthPrefixed(utf8: string)
            var expected = ByteWriter()
            expected.lengthPrefixed(Array(string.utf8))
            #expect(writer.bytes == expected.bytes)
        }
    }

    @Test func ontologyKeysJoinTheirPartsWithZeroBytes() {
        #expect(OntologyKey.make("type", "thing-1") == Array("type\0thing-1".utf8))
        #expect(OntologyKey.make("org", "type", "thing-1") == Array("org\0type\0thing-1".utf8))
        #expect(OntologyKey.make(["a", "b", "c", "d"]) == Array("a\0b\0c\0d".utf8))
        #expect(OntologyKey.make("", "x") == [0] + Array("x".utf8))
    }
}

/// The eight-bytes-at-a-time scans answer what a byte-by-byte scan answers, for every byte value at every position.
@Suite struct ByteScanTests {
    @Test func everyByteValueAtEveryPositionOfShortAndLongStrings() {
        for length in [1, 7, 8, 9, 15, 16, 17, 23] {
            for position in 0..<length {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = UInt8(value)
                    bytes.withUnsafeBytes { buffer in
                        #expect(ByteScan.containsNonASCII(buffer) == (value >= 0x80))
                        #expect(ByteScan.containsControlCharacter(buffer) == (value < 0x20 || value == 0x7F))
                        #expect(ByteScan.containsJSONEscape(buffer) == (value < 0x20 || value == 0x22 || value == 0x5C))
                    }
                }
            }
        }
    }

    @Test func mixedBytesAroundTheMatches() {
        // Bytes just above a match (0x20, 0x80, 0x7E, 0xFF) must not hide it or be taken for one.
        let samples: [[UInt8]] = [
            [], [0x20, 0x7E, 0x80, 0xFF, 0x21, 0x41, 0x61, 0x7E], [0x1F, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20],
            [0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x00], [0x80, 0x7F, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x41],
            Array("thing-0004734ed082a231".utf8), Array("org-9d12ab\u{7F}".utf8),
            [0x21, 0x23, 0x5B, 0x5D, 0x5C, 0x20, 0x20, 0x20],
            [0x23, 0x21, 0x5D, 0x5B, 0x23, 0x21, 0x5D, 0x5B, 0x22],
        ]
        for sample in samples {
            sample.withUnsafeBytes { buffer in
                #expect(ByteScan.containsNonASCII(buffer) == sample.contains { $0 >= 0x80 })
                #expect(ByteScan.containsControlCharacter(buffer) == sample.contains { $0 < 0x20 || $0 == 0x7F })
                #expect(
                    ByteScan.containsJSONEscape(buffer) == sample.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C })
            }
        }
    }
}
