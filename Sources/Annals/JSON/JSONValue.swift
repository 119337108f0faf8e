#if canImport(Glibc)
    import Glibc
#endif

/// A JSON value, as events carry it in `metadata`.
///
/// Numbers keep their literal text, so a value round-trips exactly: `1.10` stays `1.10`, and integers beyond
/// 2^53 lose nothing. Objects are unordered; ``canonicalBytes`` sorts keys.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its JSON literal text: checked against the JSON grammar when parsed, and when appended (an event
    /// whose metadata holds a `.number` that is not a JSON number, such as `String(Double.nan)`, is refused with
    /// ``AnnalsError/invalidEvent(index:field:reason:)`` naming its field). Build numbers with ``integer(_:)`` and
    /// ``double(_:)`` to always get a valid one.
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    /// A number from an integer.
    public static func integer(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }

    /// A number from a finite double, or `null` when it is NaN or infinite (JSON has no such numbers).
    public static func double(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number(String(value))
    }

    /// The object's members, or `nil` when this is not an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements, or `nil` when this is not an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The Boolean, or `nil` when this is not `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The string, or `nil` when this is not a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number as a `Double`, or `nil` when this is not a number.
    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    /// The number as an `Int64`, or `nil` when this is not an integral number in range.
    public var int64Value: Int64? {
        if case .number(let text) = self { return Int64(text) }
        return nil
    }

    /// The member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// Compact JSON with object keys sorted by their UTF-8 bytes: equal values give equal bytes.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        // Event metadata is mostly 100–300 bytes: room for it at once, rather than growing 64, 128, 256.
        out.reserveCapacity(256)
        JSONWriter.write(self, into: &out)
        return out
    }

    /// ``canonicalBytes`` as a string.
    public var canonicalString: String { String(decoding: canonicalBytes, as: UTF8.self) }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `null`.
    public init(nilLiteral: ()) { self = .null }
    /// A boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer number.
    public init(integerLiteral value: Int) { self = .integer(value) }
    /// A floating-point number.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// An object; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

/// Writes compact, canonical JSON.
enum JSONWriter {
    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        var check = Check(depthLimit: .max)
        write(value, into: &out, checking: &check)
    }

    /// What writing found in a value that the store's parser would not read back: a number whose text is not a JSON
    /// number, or nesting deeper than `depthLimit`.
    struct Check {
        /// The deepest nesting written; anything deeper is written as `null` and clears ``withinDepth``.
        let depthLimit: Int
        /// `false` once a number's text was not a JSON number (written as it is).
        var numbersAreValid = true
        /// `false` once an array or object was nested deeper than ``depthLimit``.
        var withinDepth = true
        /// `true` once an object had a key that is not ASCII, written in normalization form C
        /// (``membersWithNFCKeys(_:)``): the bytes may then spell a key otherwise than the value does.
        var hasNonASCIIKeys = false
        fileprivate var depth = 0

        /// A check allowing `depthLimit` levels of arrays and objects.
        init(depthLimit: Int) { self.depthLimit = depthLimit }
    }

    /// Writes `value`, noting in `check` what the parser would not read back.
    static func write(_ value: JSONValue, into out: inout [UInt8], checking check: inout Check) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let text):
            if check.numbersAreValid && !JSONNumberGrammar.isValid(text) { check.numbersAreValid = false }
            out.appendUTF8(text)
        case .string(let s): writeString(s, into: &out)
        case .array, .object:
            // Past the limit the value is not written (the caller refuses it), so nesting cannot exhaust the stack.
            guard check.depth < check.depthLimit else {
                check.withinDepth = false
                out.append(contentsOf: "null".utf8)
                return
            }
            check.depth += 1
            defer { check.depth -= 1 }
            writeContainer(value, into: &out, checking: &check)
        }
    }

    /// Writes an array or an object.
    private static func writeContainer(_ value: JSONValue, into out: inout [UInt8], checking check: inout Check) {
        switch value {
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out, checking: &check)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // The members sorted with their values: sorting the keys alone would look each value up again. Keys are
            // written in Unicode normalization form C (``membersWithNFCKeys(_:)``).
            let normalized = needsNormalizedKeys(members)
            if normalized { check.hasNonASCIIKeys = true }
            let sorted =
                normalized ? membersWithNFCKeys(members) : members.sorted(by: { utf8Precedes($0.key, $1.key) })
            for (i, member) in sorted.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out, checking: &check)
            }
            out.append(UInt8(ascii: "}"))
        default: write(value, into: &out, checking: &check)
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether `a` sorts before `b` by their UTF-8 bytes (`memcmp` on native strings).
    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Bool in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order != 0 ? order < 0 : x.count < y.count
            }
        }
        return (fast ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t`, … or `\u00XX`.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Fast path: most strings need no escaping and are copied in one go.
        let copied = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !ByteScan.containsJSONEscape(UnsafeRawBufferPointer(bytes)) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A JSON string literal as a Swift string.
    static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        writeString(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
