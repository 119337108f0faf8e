extension JSONWriter {
    /// Whether an object with these keys must have them normalized before it is written: one of them is not ASCII
    /// (an ASCII string is always in normalization form C).
    static func needsNormalizedKeys(_ members: [String: JSONValue]) -> Bool {
        members.keys.contains { ByteScan.utf8(of: $0, ByteScan.containsNonASCII) }
    }

    /// The members of an object with their keys in Unicode normalization form C, in the order of those keys' bytes.
    ///
    /// Swift's dictionaries (and so ``JSONValue``) treat canonically equivalent keys as one, while canonical bytes
    /// are compared and merged byte by byte (``CanonicalMergePatch``): writing every key in NFC gives each key exactly
    /// one spelling on disk, so a patch spelling a key `e\u{301}` replaces the stored `\u{e9}` instead of adding a
    /// second key that no reader could parse. Keys cannot collide: equivalent keys are one key of the dictionary.
    static func membersWithNFCKeys(_ members: [String: JSONValue]) -> [(key: String, value: JSONValue)] {
        members.map { (key: $0.key.canonicalSpelling, value: $0.value) }
            .sorted { utf8Precedes($0.key, $1.key) }
    }
}

extension CanonicalJSON {
    /// Whether the canonical JSON `value` has every object key in normalization form C, as ``JSONWriter`` writes
    /// them. Metadata appended before keys were normalized may hold keys in another form: code that merges bytes
    /// leaves such values to the parsed path.
    ///
    /// An ASCII text is NFC; otherwise only the keys are checked (canonical JSON has no whitespace, so a key is a
    /// string followed by `:`), and only those that are not ASCII are normalized: string values, however long, are
    /// skipped.
    static func hasNFCKeys(_ value: UnsafeRawBufferPointer) -> Bool {
        guard ByteScan.containsNonASCII(value) else { return true }
        var index = 0
        while index < value.count {
            guard value[index] == UInt8(ascii: "\"") else {
                index += 1
                continue
            }
            var end = index + 1
            var ascii = true
            while end < value.count, value[end] != UInt8(ascii: "\"") {
                if value[end] >= 0x80 { ascii = false }
                end += value[end] == UInt8(ascii: "\\") ? 2 : 1
            }
            if !ascii, end + 1 < value.count, value[end + 1] == UInt8(ascii: ":") {
                let key = String(decoding: UnsafeRawBufferPointer(rebasing: value[(index + 1)..<end]), as: UTF8.self)
                guard EventValidation.isNFC(key) else { return false }
            }
            index = end + 1
        }
        return true
    }
}
