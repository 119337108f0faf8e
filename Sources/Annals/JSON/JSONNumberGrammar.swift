/// The JSON number grammar (RFC 8259, section 6): `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
///
/// ``JSONValue/number(_:)`` holds its literal text, which the parser has checked but a caller building a value
/// has not: an append refuses metadata with a number that is not one (`nan`, `1,"x":2`), which would otherwise be
/// written into the log as is and make its record unreadable JSON.
enum JSONNumberGrammar {
    /// Whether `text` is a JSON number.
    static func isValid(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable(isValid) ?? Array(text.utf8).withUnsafeBufferPointer(isValid)
    }

    /// Whether `bytes` are a JSON number.
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = bytes.count
        func digits() -> Int {
            let start = index
            while index < count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            return index - start
        }
        if index < count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < count else { return false }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            guard digits() > 0 else { return false }
        }
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == count
    }

    /// Where the first number of `value` that is not a JSON number is, as a field path below `prefix`
    /// (`metadata.properties.temp`, `metadata.scores[2]`; object members in key order), and its text.
    static func firstInvalid(in value: JSONValue, at prefix: String) -> (field: String, text: String)? {
        switch value {
        case .number(let text): return isValid(text) ? nil : (prefix, text)
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let found = firstInvalid(in: element, at: "\(prefix)[\(index)]") { return found }
            }
            return nil
        case .object(let members):
            for key in members.keys.sorted() {
                if let found = firstInvalid(in: members[key]!, at: "\(prefix).\(key)") { return found }
            }
            return nil
        case .null, .bool, .string: return nil
        }
    }
}
