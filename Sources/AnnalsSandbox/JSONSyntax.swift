/// A strict JSON (RFC 8259) syntax check, iterative so that deep nesting cannot exhaust the host's stack.
enum JSONSyntax {
    /// The deepest nesting of arrays and objects accepted (the store's JSON parser's limit).
    static let maximumDepth = 128

    /// `nil` if `bytes` is exactly one JSON value (surrounding whitespace allowed), else what is wrong and where.
    static func problem(in bytes: UnsafeRawBufferPointer) -> String? {
        var scanner = Scanner(bytes: bytes)
        return scanner.run()
    }

    /// `nil` if `bytes` is one JSON value, else what is wrong.
    static func problem(in bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { problem(in: $0) }
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        /// The open containers: `true` for an object.
        var stack: [Bool] = []

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        func failure(_ what: String) -> String { "\(what) at byte \(index)" }

        mutating func run() -> String? {
            skipWhitespace()
            while true {
                // A value is expected here.
                skipWhitespace()
                guard let byte = current else { return failure("unexpected end, a value was expected") }
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard stack.count < JSONSyntax.maximumDepth else {
                        return failure("nested deeper than \(JSONSyntax.maximumDepth)")
                    }
                    let isObject = byte == UInt8(ascii: "{")
                    stack.append(isObject)
                    index += 1
                    skipWhitespace()
                    if current == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        index += 1
                        stack.removeLast()
                    } else {
                        if isObject, let problem = key() { return problem }
                        continue
                    }
                case UInt8(ascii: "\""):
                    if let problem = string() { return problem }
                case UInt8(ascii: "t"):
                    if let problem = literal("true") { return problem }
                case UInt8(ascii: "f"):
                    if let problem = literal("false") { return problem }
                case UInt8(ascii: "n"):
                    if let problem = literal("null") { return problem }
                default:
                    if let problem = number() { return problem }
                }
                // After a value: a separator, a closing bracket, or the end.
                while true {
                    skipWhitespace()
                    guard let isObject = stack.last else {
                        return current == nil ? nil : failure("unexpected data after the value")
                    }
                    guard let byte = current else { return failure("unexpected end inside a container") }
                    if byte == UInt8(ascii: ",") {
                        index += 1
                        if isObject, let problem = key() { return problem }
                        break
                    }
                    guard byte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                        return failure("expected ',' or a closing bracket")
                    }
                    index += 1
                    stack.removeLast()
                }
            }
        }

        /// An object key and its colon.
        mutating func key() -> String? {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { return failure("expected a string key") }
            if let problem = string() { return problem }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { return failure("expected ':'") }
            index += 1
            return nil
        }

        mutating func literal(_ word: String) -> String? {
            for expected in word.utf8 {
                guard current == expected else { return failure("invalid literal") }
                index += 1
            }
            return nil
        }

        mutating func digits() -> Int {
            let start = index
            while let byte = current, byte >= 0x30, byte <= 0x39 { index += 1 }
            return index - start
        }

        mutating func number() -> String? {
            if current == UInt8(ascii: "-") { index += 1 }
            if current == UInt8(ascii: "0") {
                index += 1
            } else if digits() == 0 {
                return failure("invalid value")
            }
            if current == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { return failure("invalid number") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { return failure("invalid number") }
            }
            return nil
        }

        /// A string, including its UTF-8 (checked for well-formedness) and escapes.
        mutating func string() -> String? {
            index += 1
            while let byte = current {
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return nil
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let escaped = current else { return failure("unterminated string") }
                    if escaped == UInt8(ascii: "u") {
                        guard let unit = hexUnit(at: index + 1) else { return failure("invalid \\u escape") }
                        index += 5
                        // UTF-16 surrogates come in pairs: a high one followed by an escaped low one.
                        if (0xDC00...0xDFFF).contains(unit) { return failure("lone low surrogate in \\u escape") }
                        if (0xD800...0xDBFF).contains(unit) {
                            guard current == UInt8(ascii: "\\"), index + 1 < bytes.count,
                                bytes[index + 1] == UInt8(ascii: "u"), let low = hexUnit(at: index + 2),
                                (0xDC00...0xDFFF).contains(low)
                            else { return failure("lone high surrogate in \\u escape") }
                            index += 6
                        }
                    } else if Array("\"\\/bfnrt".utf8).contains(escaped) {
                        index += 1
                    } else {
                        return failure("invalid escape")
                    }
                case 0..<0x20:
                    return failure("control character in a string")
                case 0..<0x80:
                    index += 1
                default:
                    if let problem = utf8Sequence(byte) { return problem }
                }
            }
            return failure("unterminated string")
        }

        mutating func utf8Sequence(_ lead: UInt8) -> String? {
            let length: Int
            let minimum: UInt32
            var scalar: UInt32
            switch lead {
            case 0xC2...0xDF: (length, minimum, scalar) = (2, 0x80, UInt32(lead & 0x1F))
            case 0xE0...0xEF: (length, minimum, scalar) = (3, 0x800, UInt32(lead & 0x0F))
            case 0xF0...0xF4: (length, minimum, scalar) = (4, 0x10000, UInt32(lead & 0x07))
            default: return failure("invalid UTF-8")
            }
            guard index + length <= bytes.count else { return failure("invalid UTF-8") }
            for offset in 1..<length {
                let byte = bytes[index + offset]
                guard byte & 0xC0 == 0x80 else { return failure("invalid UTF-8") }
                scalar = scalar << 6 | UInt32(byte & 0x3F)
            }
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
                return failure("invalid UTF-8")
            }
            index += length
            return nil
        }

        /// The four hex digits at `offset` as a UTF-16 unit, or `nil`.
        func hexUnit(at offset: Int) -> UInt16? {
            guard offset + 4 <= bytes.count else { return nil }
            var unit: UInt16 = 0
            for byte in bytes[offset..<offset + 4] {
                guard Self.isHex(byte) else { return nil }
                unit = unit << 4 | UInt16(byte <= 0x39 ? byte - 0x30 : (byte | 0x20) - 0x61 + 10)
            }
            return unit
        }

        static func isHex(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
        }
    }
}
