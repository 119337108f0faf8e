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
    /// JSON object (checked by the same scan that finds its members, so no separate check is needed).
    static func apply(_ patch: JSONValue, toObject stored: UnsafeRawBufferPointer) -> [UInt8]? {
        guard stored.first == UInt8(ascii: "{"), let members = members(of: stored) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(stored.count + 64)
        guard case .object(let changes) = patch else {
            JSONWriter.write(patch, into: &out)
            return out
        }
        merge(changes, into: members, out: &out)
        return out
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
        guard stored.first == UInt8(ascii: "{"), let members = Self.members(of: stored) else {
            // Not an object: the patch merges into an empty one.
            JSONWriter.write(JSONValue.null.merging(patch: patch), into: &out)
            return
        }
        merge(changes, into: members, out: &out)
    }

    /// The object with `members` and the changes of the object patch `changes`.
    private static func merge(_ changes: [String: JSONValue], into members: [Member], out: inout [UInt8]) {
        let keys = changes.keys.sorted(by: JSONWriter.utf8Precedes)
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
        for member in members {
            while p < keys.count, member.withKey({ Self.precedes(keys[p], $0) }) {
                emitPatched(keys[p], changes[keys[p]]!, storedValue: nil, &out)
                p += 1
            }
            if p < keys.count, member.withKey({ Self.equals(keys[p], $0) }) {
                emitPatched(keys[p], changes[keys[p]]!, storedValue: member.value, &out)
                p += 1
            } else {
                separator(&out)
                out.append(contentsOf: member.raw)
            }
        }
        while p < keys.count {
            emitPatched(keys[p], changes[keys[p]]!, storedValue: nil, &out)
            p += 1
        }
        out.append(UInt8(ascii: "}"))
    }

    /// One member of a canonical object: its key's UTF-8 bytes (in place, or decoded when the key has escapes), the
    /// member as written (`"key":value`) and its value.
    private struct Member {
        var literalKey: UnsafeRawBufferPointer
        var decodedKey: [UInt8]?
        var raw: UnsafeRawBufferPointer
        var value: UnsafeRawBufferPointer

        func withKey<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
            if let decodedKey { return decodedKey.withUnsafeBytes(body) }
            return body(literalKey)
        }
    }

    /// The members of the canonical object `bytes`, or `nil` if it is not well formed.
    private static func members(of bytes: UnsafeRawBufferPointer) -> [Member]? {
        var members: [Member] = []
        var i = 1
        guard bytes.count >= 2, bytes[bytes.count - 1] == UInt8(ascii: "}") else { return nil }
        if bytes.count == 2 { return members }
        while i < bytes.count - 1 {
            let start = i
            guard bytes[i] == UInt8(ascii: "\""), let keyEnd = skipString(bytes, from: i) else { return nil }
            let literal = UnsafeRawBufferPointer(rebasing: bytes[i..<keyEnd])
            var decoded: [UInt8]?
            if literal.contains(UInt8(ascii: "\\")) {
                guard case .string(let text)? = try? JSONParser.parse(literal) else { return nil }
                decoded = Array(text.utf8)
            }
            i = keyEnd
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            guard let valueEnd = skipValue(bytes, from: i) else { return nil }
            members.append(
                Member(
                    literalKey: UnsafeRawBufferPointer(
                        rebasing: literal[(literal.startIndex + 1)..<(literal.endIndex - 1)]),
                    decodedKey: decoded, raw: UnsafeRawBufferPointer(rebasing: bytes[start..<valueEnd]),
                    value: UnsafeRawBufferPointer(rebasing: bytes[i..<valueEnd])))
            i = valueEnd
            if i < bytes.count - 1 {
                guard bytes[i] == UInt8(ascii: ",") else { return nil }
                i += 1
            }
        }
        return members
    }

    /// The index just past the string literal starting at `start`.
    private static func skipString(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var i = start + 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return nil
    }

    /// The index just past the value starting at `start` (compact JSON: no whitespace).
    private static func skipValue(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
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
        key.utf8.lexicographicallyPrecedes(bytes)
    }

    private static func equals(_ key: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        key.utf8.elementsEqual(bytes)
    }
}
