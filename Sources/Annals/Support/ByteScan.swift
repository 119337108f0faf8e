/// Scans of byte strings eight bytes at a time (SWAR), for checks that run on every field of every replayed event.
enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether any byte of `bytes` is 0x80 or above (so the bytes are not all ASCII).
    static func containsNonASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index + 8 <= bytes.count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & highBits != 0 { return true }
            index += 8
        }
        while index < bytes.count {
            if bytes[index] >= 0x80 { return true }
            index += 1
        }
        return false
    }

    /// Whether any byte of `bytes` is an ASCII control character: below 0x20, or 0x7F.
    static func containsControlCharacter(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            // A byte below 0x20 borrows into its high bit when 0x20 is subtracted; a byte equal to 0x7F becomes 0
            // when XORed with 0x7F, and a zero byte borrows when 1 is subtracted. Either way only whether some byte
            // matched is exact (borrows can mark the bytes above a match), which is all this asks.
            let below = (word &- ones &* 0x20) & ~word & highBits
            let delete = word ^ (ones &* 0x7F)
            if below | ((delete &- ones) & ~delete & highBits) != 0 { return true }
            index += 8
        }
        while index < bytes.count {
            if bytes[index] < 0x20 || bytes[index] == 0x7F { return true }
            index += 1
        }
        return false
    }

    /// Whether any byte of `bytes` must be escaped in a JSON string: a control character (below 0x20), `"` or `\`.
    static func containsJSONEscape(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let below = (word &- ones &* 0x20) & ~word
            let quotes = (quote &- ones) & ~quote
            let backslashes = (backslash &- ones) & ~backslash
            if (below | quotes | backslashes) & highBits != 0 { return true }
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return true }
            index += 1
        }
        return false
    }
}
