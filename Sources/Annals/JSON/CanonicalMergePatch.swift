import Glibc

/// A JSON merge patch (RFC 7396) applied directly to canonical JSON bytes (compact, object keys sorted by their
/// UTF-8 bytes, as ``JSONValue/canonicalBytes`` writes them), so that updating an entity's properties copies the
/// members the patch does not touch instead of parsing and re-serializing them.
///
/// The result is byte for byte `JSONParser.parse(stored).merging(patch: patch).canonicalBytes`.
enum CanonicalMergePatch {
    /// `stored` with `patch` applied, as canonical JSON.
    static func apply(_ patch: JSONValue, to stored: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(stored.count + 64)
        stored.withUnsafeBytes { merge(patch, into: $0, out: &out) }
        return out
    }

    /// `stored` with the object `patch` applied, as canonical JSON, or `nil` when `stored` is not one well-formed
    /// JSON object (found out by the same pass that merges, so no separate check is needed).
    static func apply(_ patch: JSONValue, toObject stored: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(stored.count + 64)
        guard case .object(let changes) = patch else {
            guard stored.first == UInt8(ascii: "{"), skipValue(stored, from: 0) == stored.count else { return nil }
            JSONWriter.write(patch, into: &out)
            return out
        }
        return merge(changes, intoObject: stored, out: &out) ? out : nil
    }

    /// `stored` with the object patch `patch` applied, as canonical JSON, or `nil` when `stored` is not one
    /// well-formed JSON object. `patch` must be a canonical object whose keys have no escapes, as
    /// ``CanonicalJSON/isCanonical(_:)`` accepts them: then both sides are merged member by member as bytes, and
    /// nothing is parsed.
    static func apply(canonicalPatch patch: UnsafeRawBufferPointer, toObject stored: UnsafeRawBufferPointer)
        -> [UInt8]?
    {
        var out: [UInt8] = []
        out.reserveCapacity(stored.count + patch.count)
        return merge(canonicalPatch: patch, intoObject: stored, out: &out) ? out : nil
    }

    /// Writes the canonical object `stored` with the changes of the canonical object patch `patch`, walking the
    /// members of both in key order. Returns `false` (having written part of it) when `stored` is not a
    /// well-formed object.
    private static func merge(
        canonicalPatch patch: UnsafeRawBufferPointer, intoObject stored: UnsafeRawBufferPointer, out: inout [UInt8]
    ) -> Bool {
        var changes = ObjectMembers(patch)
        var members = ObjectMembers(stored)
        guard changes.isObject, members.isObject else { return false }
        out.append(UInt8(ascii: "{"))
        var first = true
        func separator(_ out: inout [UInt8]) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
        }
        /// Writes the patch's member `change`, merged into the stored value `storedValue` if any.
        func emit(_ change: Member, storedValue: UnsafeRawBufferPointer?, _ out: inout [UInt8]) {
            let value = change.value
            if value.count == 4, value.first == UInt8(ascii: "n") { return }  // null: removes the member
            separator(&out)
            out.append(contentsOf: change.literal)
            out.append(UInt8(ascii: ":"))
            guard value.first == UInt8(ascii: "{") else { return out.append(contentsOf: value) }
            let mark = out.count
            if let storedValue, storedValue.first == UInt8(ascii: "{"),
                merge(canonicalPatch: value, intoObject: storedValue, out: &out)
            {
                return
            }
            // No object to merge into: the patch merges into an empty one, which drops its nulls.
            out.removeSubrange(mark...)
            _ = merge(canonicalPatch: value, intoObject: emptyObject, out: &out)
        }
        guard var change = changes.next(), var member = members.next() else { return false }
        while case .some(let current) = member {
            guard case .some(let patchMember) = change else {
                separator(&out)
                out.append(contentsOf: current.whole)
                guard let next = members.next() else { return false }
                member = next
                continue
            }
            let order = current.withKey { compareBytes(patchMember.key, $0) }
            if order <= 0 {
                emit(patchMember, storedValue: order == 0 ? current.value : nil, &out)
                guard let next = changes.next() else { return false }
                change = next
                if order < 0 { continue }
            } else {
                separator(&out)
                out.append(contentsOf: current.whole)
            }
            guard let next = members.next() else { return false }
            member = next
        }
        while case .some(let patchMember) = change {
            emit(patchMember, storedValue: nil, &out)
            guard let next = changes.next() else { return false }
            change = next
        }
        out.append(UInt8(ascii: "}"))
        return true
    }

    private static let emptyObjectText: StaticString = "{}"
    private static var emptyObject: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: emptyObjectText.utf8Start, count: emptyObjectText.utf8CodeUnitCount)
    }

    /// One `"key":value` member of a compact object.
    private struct Member {
        /// The whole member, `"key":value`.
        let whole: UnsafeRawBufferPointer
        /// The key's literal with its quotes.
        let literal: UnsafeRawBufferPointer
        /// The key's literal without its quotes.
        let key: UnsafeRawBufferPointer
        let value: UnsafeRawBufferPointer

        /// Calls `body` with the key's UTF-8: its literal, or the decoded key when the literal has escapes.
        func withKey<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
            guard key.contains(UInt8(ascii: "\\")), case .string(let text)? = try? JSONParser.parse(literal) else {
                return body(key)
            }
            return Array(text.utf8).withUnsafeBytes(body)
        }
    }

    /// The members of a compact object, one at a time.
    private struct ObjectMembers {
        let bytes: UnsafeRawBufferPointer
        var position = 1

        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var isObject: Bool {
            bytes.count >= 2 && bytes[0] == UInt8(ascii: "{") && bytes[bytes.count - 1] == UInt8(ascii: "}")
        }

        /// `.some(member)`, `.some(nil)` past the last member, or `nil` when the object is malformed.
        mutating func next() -> Member?? {
            let end = bytes.count - 1
            guard position < end else { return .some(nil) }
            let start = position
            guard bytes[position] == UInt8(ascii: "\""), let keyEnd = skipString(bytes, from: position),
                keyEnd < end, bytes[keyEnd] == UInt8(ascii: ":"),
                let valueEnd = skipValue(bytes, from: keyEnd + 1), valueEnd <= end
            else { return nil }
            if valueEnd < end {
                guard bytes[valueEnd] == UInt8(ascii: ","), valueEnd + 1 < end else { return nil }
                position = valueEnd + 1
            } else {
                position = end
            }
            return Member(
                whole: UnsafeRawBufferPointer(rebasing: bytes[start..<valueEnd]),
                literal: UnsafeRawBufferPointer(rebasing: bytes[start..<keyEnd]),
                key: UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(keyEnd - 1)]),
                value: UnsafeRawBufferPointer(rebasing: bytes[(keyEnd + 1)..<valueEnd]))
        }
    }

    /// Whether `bytes` is one complete JSON object, by a scan of its structure (no parsing of its members).
    static func isObject(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { b in b.first == UInt8(ascii: "{") && skipValue(b, from: 0) == b.count }
    }

    private static func merge(_ patch: JSONValue, into stored: UnsafeRawBufferPointer, out: inout [UInt8]) {
        guard case .object(let changes) = patch else {
            JSONWriter.write(patch, into: &out)
            return
        }
        let mark = out.count
        if !merge(changes, intoObject: stored, out: &out) {
            // Not an object: the patch merges into an empty one.
            out.removeSubrange(mark...)
            JSONWriter.write(JSONValue.null.merging(patch: patch), into: &out)
        }
    }

    /// Writes the canonical object `stored` with the changes of the object patch `changes`, in one pass over its
    /// members. Returns `false` (having written part of it) when `stored` is not a well-formed object.
    private static func merge(
        _ changes: [String: JSONValue], intoObject stored: UnsafeRawBufferPointer, out: inout [UInt8]
    ) -> Bool {
        let end = stored.count - 1
        guard stored.count >= 2, stored[0] == UInt8(ascii: "{"), stored[end] == UInt8(ascii: "}") else {
            return false
        }
        let keys = changes.count == 1 ? Array(changes.keys) : changes.keys.sorted(by: JSONWriter.utf8Precedes)
        let values = keys.map { changes[$0]! }
        out.append(UInt8(ascii: "{"))
        var first = true
        func separator(_ out: inout [UInt8]) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
        }
        func emitPatched(_ key: String, _ change: JSONValue, storedValue: UnsafeRawBufferPointer?, _ out: inout [UInt8])
        {
            guard change != .null else { return }
            separator(&out)
            JSONWriter.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            if let storedValue, case .object = change {
                merge(change, into: storedValue, out: &out)
            } else {
                JSONWriter.write(JSONValue.null.merging(patch: change), into: &out)
            }
        }
        var p = 0
        var i = 1
        while i < end {
            // One member: "key":value
            let start = i
            guard stored[i] == UInt8(ascii: "\""), let keyEnd = skipString(stored, from: i) else { return false }
            let literal = UnsafeRawBufferPointer(rebasing: stored[(i + 1)..<(keyEnd - 1)])
            var decoded: [UInt8]?
            if literal.contains(UInt8(ascii: "\\")) {
                let quoted = UnsafeRawBufferPointer(rebasing: stored[i..<keyEnd])
                guard case .string(let text)? = try? JSONParser.parse(quoted) else { return false }
                decoded = Array(text.utf8)
            }
            i = keyEnd
            guard i < end, stored[i] == UInt8(ascii: ":") else { return false }
            i += 1
            guard let valueEnd = skipValue(stored, from: i), valueEnd <= end else { return false }
            let value = UnsafeRawBufferPointer(rebasing: stored[i..<valueEnd])
            func withKey<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
                if let decoded { return decoded.withUnsafeBytes(body) }
                return body(literal)
            }
            while p < keys.count, withKey({ Self.precedes(keys[p], $0) }) {
                emitPatched(keys[p], values[p], storedValue: nil, &out)
                p += 1
            }
            if p < keys.count, withKey({ Self.equals(keys[p], $0) }) {
                emitPatched(keys[p], values[p], storedValue: value, &out)
                p += 1
            } else {
                separator(&out)
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: stored[start..<valueEnd]))
            }
            i = valueEnd
            if i < end {
                guard stored[i] == UInt8(ascii: ","), i + 1 < end else { return false }
                i += 1
            }
        }
        while p < keys.count {
            emitPatched(keys[p], values[p], storedValue: nil, &out)
            p += 1
        }
        out.append(UInt8(ascii: "}"))
        return true
    }

    /// The index just past the string literal starting at `start`: the first quote after it that no backslash
    /// escapes, found with `memchr` (escapes are rare).
    private static func skipString(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var i = start + 1
        while i < bytes.count {
            guard let found = memchr(base + i, Int32(UInt8(ascii: "\"")), bytes.count - i) else { return nil }
            let quote = base.distance(to: UnsafeRawPointer(found))
            // The quote is escaped when an odd number of backslashes precedes it.
            var backslashes = 0
            while quote - backslashes - 1 > start, bytes[quote - backslashes - 1] == UInt8(ascii: "\\") {
                backslashes += 1
            }
            if backslashes % 2 == 0 { return quote + 1 }
            i = quote + 1
        }
        return nil
    }

    /// The index just past the value starting at `start` (compact JSON: no whitespace).
    static func skipValue(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return skipString(bytes, from: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var i = start
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    guard let end = skipString(bytes, from: i) else { return nil }
                    i = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default: break
                }
                i += 1
            }
            return nil
        default:
            var i = start
            while i < bytes.count, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: "}"),
                bytes[i] != UInt8(ascii: "]")
            {
                i += 1
            }
            return i > start ? i : nil
        }
    }

    private static func precedes(_ key: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        compare(key, bytes) < 0
    }

    private static func equals(_ key: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        compare(key, bytes) == 0
    }

    /// Bytewise comparison of `key`'s UTF-8 with `bytes`, through the string's own storage when it has one.
    private static func compare(_ key: String, _ bytes: UnsafeRawBufferPointer) -> Int {
        let direct = key.utf8.withContiguousStorageIfAvailable { compareBytes(UnsafeRawBufferPointer($0), bytes) }
        return direct ?? Array(key.utf8).withUnsafeBytes { compareBytes($0, bytes) }
    }
}
