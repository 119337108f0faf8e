import Glibc

/// A JSON merge patch (RFC 7396) applied directly to canonical JSON bytes (compact, object keys sorted by their
/// UTF-8 bytes, as ``JSONValue/canonicalBytes`` writes them), so that updating an entity's properties copies the
/// members the patch does not touch instead of parsing and re-serializing them.
///
/// The result is byte for byte `JSONParser.parse(stored).merging(patch: patch).canonicalBytes`.
enum CanonicalMergePatch {
    /// `stored` with `patch` applied, as canonical JSON (a patch that is not an object replaces `stored`; a
    /// `stored` that is not an object counts as an empty one).
    static func apply(_ patch: JSONValue, to stored: [UInt8]) -> [UInt8] {
        guard case .object = patch else { return patch.canonicalBytes }
        return patch.canonicalBytes.withUnsafeBytes { patch in
            stored.withUnsafeBytes { apply(canonicalPatch: patch, toObject: $0) }
                ?? apply(canonicalPatch: patch, toObject: emptyObject)!
        }
    }

    /// `stored` with the object `patch` applied, as canonical JSON, or `nil` when `stored` is not one well-formed
    /// JSON object (found out by the same pass that merges, so no separate check is needed).
    static func apply(_ patch: JSONValue, toObject stored: UnsafeRawBufferPointer) -> [UInt8]? {
        guard case .object = patch else {
            guard stored.first == UInt8(ascii: "{"), skipValue(stored, from: 0) == stored.count else { return nil }
            return patch.canonicalBytes
        }
        return patch.canonicalBytes.withUnsafeBytes { apply(canonicalPatch: $0, toObject: stored) }
    }

    /// `stored` with the object patch `patch` applied, as canonical JSON, or `nil` when `stored` is not one
    /// well-formed JSON object. `patch` must be canonical (``JSONValue/canonicalBytes``): both sides are merged
    /// member by member as bytes, and nothing is parsed but the keys that have escapes.
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
            let order = patchMember.withKey { patchKey in current.withKey { compareBytes(patchKey, $0) } }
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
        /// Whether the key's literal has escapes (then `key` is not its UTF-8).
        let hasEscapes: Bool
        let value: UnsafeRawBufferPointer

        /// Calls `body` with the key's UTF-8: the literal, or the decoded key when the literal has escapes.
        func withKey<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
            guard hasEscapes, case .string(let text)? = try? JSONParser.parse(literal) else { return body(key) }
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
            let literal = UnsafeRawBufferPointer(rebasing: bytes[start..<keyEnd])
            let key = UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(keyEnd - 1)])
            let hasEscapes = !key.isEmpty && memchr(key.baseAddress!, Int32(UInt8(ascii: "\\")), key.count) != nil
            // A key that does not decode makes the object malformed (escapes are rare: decoding twice is cheap).
            if hasEscapes {
                guard case .string? = try? JSONParser.parse(literal) else { return nil }
            }
            return Member(
                whole: UnsafeRawBufferPointer(rebasing: bytes[start..<valueEnd]), literal: literal, key: key,
                hasEscapes: hasEscapes, value: UnsafeRawBufferPointer(rebasing: bytes[(keyEnd + 1)..<valueEnd]))
        }
    }

    /// Whether `bytes` is one complete JSON object, by a scan of its structure (no parsing of its members).
    static func isObject(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { b in b.first == UInt8(ascii: "{") && skipValue(b, from: 0) == b.count }
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
}
