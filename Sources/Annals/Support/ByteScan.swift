/// Scans of byte strings eight bytes at a time (SWAR), for checks that run on every field of every replayed event.
enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether any byte of `bytes` is 0x80 or above (so the bytes are not all ASCII).
    static func containsNonASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        contains(bytes, word: { $0 & highBits }, byte: { $0 >= 0x80 })
    }

    /// Whether any byte of `bytes` is an ASCII control character: below 0x20, or 0x7F.
    static func containsControlCharacter(_ bytes: UnsafeRawBufferPointer) -> Bool {
        contains(bytes, word: { below(0x20, in: $0) | equal(0x7F, in: $0) }, byte: { $0 < 0x20 || $0 == 0x7F })
    }

    /// Whether any byte of `bytes` must be escaped in a JSON string: a control character (below 0x20), `"` or `\`.
    static func containsJSONEscape(_ bytes: UnsafeRawBufferPointer) -> Bool {
        contains(
            bytes, word: { below(0x20, in: $0) | equal(0x22, in: $0) | equal(0x5C, in: $0) },
            byte: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
    }

    /// Runs `scan` over the UTF-8 of `text`: in place when the string's storage is contiguous (always for a native
    /// string), else over a copy. A generic walk of a string's UTF-8 view costs several times as much.
    static func utf8(of text: String, _ scan: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        if let found = text.utf8.withContiguousStorageIfAvailable({ scan(UnsafeRawBufferPointer($0)) }) {
            return found
        }
        var copy = text
        return copy.withUTF8 { scan(UnsafeRawBufferPointer($0)) }
    }

    /// Whether some byte matches: `word` marks the high bit of the matching bytes of eight (it may also mark bytes
    /// above a match, never a word without one), `byte` tests the bytes of the tail.
    @inline(__always)
    private static func contains(
        _ bytes: UnsafeRawBufferPointer, word: (UInt64) -> UInt64, byte: (UInt8) -> Bool
    ) -> Bool {
        var index = 0
        while index + 8 <= bytes.count {
            if word(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) & highBits != 0 { return true }
            index += 8
        }
        while index < bytes.count {
            if byte(bytes[index]) { return true }
            index += 1
        }
        return false
    }

    /// The high bits of the bytes of `word` below `limit` (at most 0x80): a byte below it borrows into its high bit
    /// when `limit` is subtracted from each byte. Borrows can mark the bytes above a match as well.
    @inline(__always)
    private static func below(_ limit: UInt8, in word: UInt64) -> UInt64 {
        (word &- ones &* UInt64(limit)) & ~word & highBits
    }

    /// The high bits of the bytes of `word` equal to `value`: those bytes become 0 when XORed with it, and a zero
    /// byte borrows when 1 is subtracted.
    @inline(__always)
    private static func equal(_ value: UInt8, in word: UInt64) -> UInt64 {
        let matched = word ^ (ones &* UInt64(value))
        return (matched &- ones) & ~matched & highBits
    }
}
