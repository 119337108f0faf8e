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
