import Glibc

/// Recognizes canonical JSON (``JSONValue/canonicalBytes``) without parsing it: compact, object keys in strictly
/// increasing order of their UTF-8 bytes, strings with only the escapes ``JSONWriter`` writes.
///
/// The log stores every event's metadata in this form, so a reader can check it in one pass that allocates nothing
/// and leave the parse to whoever needs the values (``ProjectedEvent/metadata``), and byte-level code
/// (``CanonicalMergePatch/apply(canonicalPatch:toObject:)``) can rely on its layout.
///
/// The check is stricter than ``JSONParser``: whatever it accepts, the parser accepts too. Some valid canonical
/// texts are refused for simplicity (a key with an escape, a `\u` escape other than a control character's): their
/// readers fall back to parsing.
enum CanonicalJSON {
    /// Whether `bytes` is one JSON value in the canonical form described above.
    static func isCanonical(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { check($0) } != nil
    }

    /// Checks that `bytes` is one JSON value in the canonical form described above, and returns where the members
    /// of a top-level object lie (found by the same pass), or `nil` when the bytes are not canonical.
    static func check(_ bytes: UnsafeRawBufferPointer) -> TopLevelMembers? {
        var scanner = Scanner(bytes: bytes)
        guard scanner.value(depth: 0), scanner.position == bytes.count else { return nil }
        return scanner.topLevel
    }

    /// Whether `bytes` (such as a member's key) are the UTF-8 of `text`.
    static func bytes(_ bytes: UnsafeRawBufferPointer, equal text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount
            && (bytes.count == 0 || memcmp(bytes.baseAddress!, text.utf8Start, bytes.count) == 0)
    }

    /// The string that the canonical string literal `value` (quotes included) holds, or `nil` when `value` is not a
    /// string.
    static func string(_ value: UnsafeRawBufferPointer) -> String? {
        guard value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") else {
            return nil
        }
        let inside = UnsafeRawBufferPointer(rebasing: value[1..<(value.count - 1)])
        guard inside.contains(UInt8(ascii: "\\")) else { return String(decoding: inside, as: UTF8.self) }
        guard case .string(let text)? = try? JSONParser.parse(value) else { return nil }
        return text
    }

    /// Where the members of a canonical top-level object lie, for objects of up to ``capacity`` members: kept with
    /// an event's metadata so that byte-level readers find a member without scanning for it.
    struct TopLevelMembers: Sendable {
        /// The most members recorded.
        static let capacity = 4
        /// Per member, its key's start and end (inside the quotes) and its value's start and end.
        private var bounds = SIMD16<Int32>()
        /// How many members the object has; `nil` when the value is not an object or has more than ``capacity``.
        fileprivate(set) var count: Int?

        /// The key (its UTF-8, without quotes) and the value of member `index`, in `bytes`.
        func member(_ index: Int, in bytes: UnsafeRawBufferPointer) -> (
            key: UnsafeRawBufferPointer,
            value: UnsafeRawBufferPointer
        ) {
            let base = index * 4
            return (
                UnsafeRawBufferPointer(rebasing: bytes[Int(bounds[base])..<Int(bounds[base + 1])]),
                UnsafeRawBufferPointer(rebasing: bytes[Int(bounds[base + 2])..<Int(bounds[base + 3])])
            )
        }

        fileprivate mutating func record(key: Range<Int>, value: Range<Int>) {
            guard let recorded = count else { return }
            guard recorded < Self.capacity, value.upperBound <= Int(Int32.max) else {
                count = nil
                return
            }
            let base = recorded * 4
            bounds[base] = Int32(key.lowerBound)
            bounds[base + 1] = Int32(key.upperBound)
            bounds[base + 2] = Int32(value.lowerBound)
            bounds[base + 3] = Int32(value.upperBound)
            count = recorded + 1
        }
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var position = 0
        var topLevel = TopLevelMembers()

        mutating func value(depth: Int) -> Bool {
            guard position < bytes.count else { return false }
            switch bytes[position] {
            case UInt8(ascii: "{"): return object(depth: depth + 1)
            case UInt8(ascii: "["): return array(depth: depth + 1)
            case UInt8(ascii: "\""): return string(allowingEscapes: true)
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        private mutating func object(depth: Int) -> Bool {
            var previous: Range<Int>?
            if depth == 1 { topLevel.count = 0 }
            return elements(closedBy: UInt8(ascii: "}"), depth: depth) { scanner in
                // A key without escapes: its literal bytes are its UTF-8, so the order can be checked on them.
                let start = scanner.position + 1
                guard scanner.position < scanner.bytes.count, scanner.bytes[scanner.position] == UInt8(ascii: "\""),
                    scanner.string(allowingEscapes: false)
                else { return false }
                let key = start..<(scanner.position - 1)
                if let previous, !scanner.precedes(previous, key) { return false }
                previous = key
                guard scanner.position < scanner.bytes.count, scanner.bytes[scanner.position] == UInt8(ascii: ":")
                else { return false }
                scanner.position += 1
                let valueStart = scanner.position
                guard scanner.value(depth: depth) else { return false }
                if depth == 1 { scanner.topLevel.record(key: key, value: valueStart..<scanner.position) }
                return true
            }
        }

        private mutating func array(depth: Int) -> Bool {
            elements(closedBy: UInt8(ascii: "]"), depth: depth) { scanner in scanner.value(depth: depth) }
        }

        /// The elements of the array or object whose opening bracket is at `position`, each read by `element`,
        /// separated by commas and followed by `closing`.
        private mutating func elements(closedBy closing: UInt8, depth: Int, _ element: (inout Scanner) -> Bool)
            -> Bool
        {
            guard depth <= JSONParser.maximumDepth else { return false }
            position += 1
            if position < bytes.count, bytes[position] == closing {
                position += 1
                return true
            }
            while true {
                guard element(&self), position < bytes.count else { return false }
                switch bytes[position] {
                case UInt8(ascii: ","): position += 1
                case closing:
                    position += 1
                    return true
                default: return false
                }
            }
        }

        private func precedes(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
            compareBytes(UnsafeRawBufferPointer(rebasing: bytes[a]), UnsafeRawBufferPointer(rebasing: bytes[b])) < 0
        }

        /// A string literal at `position` (its opening quote), with valid UTF-8 and only the escapes the canonical
        /// writer uses: `\"`, `\\`, `\n`, `\r`, `\t` and `\u00XX` for the other control characters.
        private mutating func string(allowingEscapes: Bool) -> Bool {
            position += 1
            while position < bytes.count {
                position = Self.plainRunEnd(bytes, from: position)
                guard position < bytes.count else { return false }
                let byte = bytes[position]
                switch byte {
                case UInt8(ascii: "\""):
                    position += 1
                    return true
                case UInt8(ascii: "\\"):
                    guard allowingEscapes, escape() else { return false }
                case 0..<0x20:
                    return false
                case 0x20..<0x80:
                    position += 1
                default:
                    guard utf8Sequence() else { return false }
                }
            }
            return false
        }

        /// The index of the first byte at or after `start` that is not printable ASCII other than a quote or a
        /// backslash (most of every string), found eight bytes at a time.
        private static func plainRunEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
            let base = bytes.baseAddress!
            var i = start
            while i + 8 <= bytes.count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                // A byte below 0x20 or from 0x80, or equal to '"' (0x22) or '\\' (0x5C), sets its high bit here.
                let high = word & 0x8080_8080_8080_8080
                let low = (word & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x6060_6060_6060_6060
                let quote = word ^ 0x2222_2222_2222_2222
                let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
                let found = high | ~low & 0x8080_8080_8080_8080 | zeroBytes(quote) | zeroBytes(backslash)
                if found != 0 { return i + (found.trailingZeroBitCount >> 3) }
                i += 8
            }
            while i < bytes.count {
                let byte = bytes[i]
                if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return i }
                i += 1
            }
            return i
        }

        /// The high bit of every byte of `word` that is zero (exact: no false positives).
        private static func zeroBytes(_ word: UInt64) -> UInt64 {
            let low7 = (word & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F
            return ~(low7 | word) & 0x8080_8080_8080_8080
        }

        private mutating func escape() -> Bool {
            guard position + 1 < bytes.count else { return false }
            switch bytes[position + 1] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                position += 2
                return true
            case UInt8(ascii: "u"):
                // Only a control character other than \n, \r and \t, as \u00 and two lowercase hex digits.
                guard position + 5 < bytes.count, bytes[position + 2] == UInt8(ascii: "0"),
                    bytes[position + 3] == UInt8(ascii: "0"),
                    let high = Self.lowercaseHex(bytes[position + 4]), high <= 1,
                    let low = Self.lowercaseHex(bytes[position + 5])
                else { return false }
                let code = high << 4 | low
                guard code != 0x0A, code != 0x0D, code != 0x09 else { return false }
                position += 6
                return true
            default:
                return false
            }
        }

        private static func lowercaseHex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            default: return nil
            }
        }

        /// One well-formed UTF-8 sequence of two to four bytes (no overlong forms, surrogates or code points past
        /// U+10FFFF), as Unicode's table 3-7 defines them.
        private mutating func utf8Sequence() -> Bool {
            let lead = bytes[position]
            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                secondRange = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                secondRange = 0x80...0x9F
            case 0xF0:
                length = 4
                secondRange = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                secondRange = 0x80...0x8F
            default: return false
            }
            guard position + length <= bytes.count, secondRange.contains(bytes[position + 1]) else { return false }
            for offset in 2..<length where !(0x80...0xBF).contains(bytes[position + offset]) { return false }
            position += length
            return true
        }

        private mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard position + count <= bytes.count,
                UnsafeRawBufferPointer(start: text.utf8Start, count: count)
                    .elementsEqual(UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)]))
            else { return false }
            position += count
            return true
        }

        /// A number in JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        private mutating func number() -> Bool {
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count, isDigit(bytes[position]) else { return false }
            if bytes[position] == UInt8(ascii: "0") { position += 1 } else { digits() }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard position < bytes.count, isDigit(bytes[position]) else { return false }
                digits()
            }
            if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
                {
                    position += 1
                }
                guard position < bytes.count, isDigit(bytes[position]) else { return false }
                digits()
            }
            return true
        }

        private mutating func digits() {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }

        private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    }
}
