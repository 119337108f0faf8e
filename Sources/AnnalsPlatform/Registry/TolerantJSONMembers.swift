import Annals

/// Splits one JSON object or array into its members without parsing their values, so that each member of a
/// registry index can be parsed, validated and reported on its own: one broken entry never hides the others.
///
/// It tolerates a trailing comma after the last member (reported as a ``warnings`` entry) and, after a member
/// whose value is malformed, resynchronises at the next comma or closing bracket at the container's level. A
/// container that cannot be split at all (not an object or array, unbalanced brackets, an unterminated string)
/// throws ``TolerantJSONMembers/Failure`` with its line and column.
struct TolerantJSONMembers {
    /// One member: its key (objects only), its value's bytes, and where it starts.
    struct Member {
        /// The key, for an object's member.
        var key: String?
        /// The value's range in the input bytes.
        var range: Range<Int>
        /// The 1-based line and column where the member starts.
        var line: Int
        var column: Int
    }

    /// Why the container itself could not be split.
    struct Failure: Error {
        var reason: String
        var line: Int
        var column: Int
    }

    /// The members, in order.
    private(set) var members: [Member] = []
    /// Problems that did not stop the split, such as a trailing comma, each with its line and column.
    private(set) var warnings: [String] = []
    /// Members whose text could not be delimited (a missing key or colon), with where they are.
    private(set) var damaged: [(reason: String, line: Int, column: Int)] = []

    private let bytes: [UInt8]
    private var lineStarts: [Int] = [0]

    /// Splits the container that occupies `range` of `bytes` (the whole input by default). The whole input must
    /// hold nothing after its container, and, unless `allowingDuplicateKeys` (an index, whose keys are entries: its
    /// reader refuses an entry given twice by name), no key twice in its top-level object.
    init(_ bytes: [UInt8], range: Range<Int>? = nil, allowingDuplicateKeys: Bool = false) throws(Failure) {
        self.bytes = bytes
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") { lineStarts.append(index + 1) }
        let isTopLevel = range == nil
        let range = range ?? 0..<bytes.count
        var i = skipSpace(range.lowerBound, end: range.upperBound)
        guard i < range.upperBound, bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "[") else {
            throw failure("expected a JSON object or array", at: i)
        }
        let isObject = bytes[i] == UInt8(ascii: "{")
        let closer = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
        i += 1
        var afterComma = false
        while true {
            i = skipSpace(i, end: range.upperBound)
            guard i < range.upperBound else { throw failure("the container is not closed", at: i) }
            if bytes[i] == closer {
                if afterComma { warnings.append("trailing comma before \(position(i))") }
                if isTopLevel { try checkEnd(after: i + 1, checkingKeys: isObject && !allowingDuplicateKeys) }
                break
            }
            let start = i
            var key: String?
            if isObject {
                guard bytes[i] == UInt8(ascii: "\"") else {
                    damaged.append(("expected a quoted key", line(start), column(start)))
                    i = try resync(from: i, end: range.upperBound)
                    afterComma = consumeComma(&i, end: range.upperBound)
                    continue
                }
                let keyEnd = try endOfString(i, end: range.upperBound)
                key = (try? JSONParser.parse(Array(bytes[i..<keyEnd])))?.stringValue
                i = skipSpace(keyEnd, end: range.upperBound)
                guard i < range.upperBound, bytes[i] == UInt8(ascii: ":") else {
                    damaged.append(("expected ':' after the key \(key.map { "'\($0)'" } ?? "")", line(i), column(i)))
                    i = try resync(from: i, end: range.upperBound)
                    afterComma = consumeComma(&i, end: range.upperBound)
                    continue
                }
                i = skipSpace(i + 1, end: range.upperBound)
            }
            let valueStart = i
            i = try resync(from: i, end: range.upperBound)
            var valueEnd = i
            while valueEnd > valueStart, isSpace(bytes[valueEnd - 1]) { valueEnd -= 1 }
            members.append(Member(key: key, range: valueStart..<valueEnd, line: line(start), column: column(start)))
            afterComma = consumeComma(&i, end: range.upperBound)
            if !afterComma {
                i = skipSpace(i, end: range.upperBound)
                guard i < range.upperBound, bytes[i] == closer else {
                    throw failure("expected ',' or '\(Character(Unicode.Scalar(closer)))'", at: i)
                }
            }
        }
    }

    /// Refuses what other readers of the file would read differently: text after the top-level container (another
    /// object, garbage), and, when `checkingKeys`, a key the top-level object has twice (most parsers keep the last,
    /// this one the first).
    private func checkEnd(after end: Int, checkingKeys: Bool) throws(Failure) {
        let rest = skipSpace(end, end: bytes.count)
        if rest < bytes.count { throw failure("unexpected text after the end of the top-level JSON value", at: rest) }
        guard checkingKeys else { return }
        try checkUniqueKeys { key, first in
            "the key '\(key)' appears again (JSON readers disagree on which one counts; the first is at line "
                + "\(first.line), column \(first.column))"
        }
    }

    /// Throws, at the second one, for the first key two members have; `reason(key, first)` says why, given the
    /// member that had it first.
    func checkUniqueKeys(_ reason: (String, Member) -> String) throws(Failure) {
        var seen: [String: Member] = [:]
        for member in members {
            guard let key = member.key else { continue }
            if let first = seen[key] {
                throw Failure(reason: reason(key, first), line: member.line, column: member.column)
            }
            seen[key] = member
        }
    }

    /// Gives keyless members (an array's elements) the key `name` finds in their value, when it finds one.
    mutating func nameMembers(_ name: (Range<Int>) -> String?) {
        for index in members.indices where members[index].key == nil {
            members[index].key = name(members[index].range)
        }
    }

    /// `line L, column C` of a byte offset, for messages.
    func position(_ offset: Int) -> String { "line \(line(offset)), column \(column(offset))" }

    /// The 1-based line of a byte offset.
    func line(_ offset: Int) -> Int {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    /// The 1-based column (in bytes) of a byte offset.
    func column(_ offset: Int) -> Int { offset - lineStarts[line(offset) - 1] + 1 }

    /// Skips to the next comma or closing bracket at this level, stepping over nested containers and strings.
    private func resync(from start: Int, end: Int) throws(Failure) -> Int {
        var i = start
        var depth = 0
        while i < end {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                i = try endOfString(i, end: end)
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return i }
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        throw failure("the container is not closed", at: start)
    }

    /// The offset just past the string that starts at `start`.
    private func endOfString(_ start: Int, end: Int) throws(Failure) -> Int {
        var i = start + 1
        while i < end {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            case UInt8(ascii: "\n"): throw failure("a string is not terminated on its line", at: start)
            default: i += 1
            }
        }
        throw failure("a string is not terminated", at: start)
    }

    private func consumeComma(_ i: inout Int, end: Int) -> Bool {
        i = skipSpace(i, end: end)
        guard i < end, bytes[i] == UInt8(ascii: ",") else { return false }
        i += 1
        return true
    }

    private func skipSpace(_ start: Int, end: Int) -> Int {
        var i = start
        while i < end, isSpace(bytes[i]) { i += 1 }
        return i
    }

    private func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private func failure(_ reason: String, at offset: Int) -> Failure {
        Failure(reason: reason, line: line(offset), column: column(offset))
    }
}
