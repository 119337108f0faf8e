import Foundation

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
        members.map { (key: $0.key.precomposedStringWithCanonicalMapping, value: $0.value) }
            .sorted { utf8Precedes($0.key, $1.key) }
    }
}

extension CanonicalJSON {
    /// Whether the canonical JSON `value` has every object key in normalization form C, as ``JSONWriter`` writes
    /// them: certainly when it is ASCII, and when the whole text is NFC. Metadata appended before keys were
    /// normalized may hold keys in another form: code that merges bytes leaves such values to the parsed path.
    static func hasNFCKeys(_ value: UnsafeRawBufferPointer) -> Bool {
        guard ByteScan.containsNonASCII(value) else { return true }
        let text = String(decoding: value, as: UTF8.self)
        return text.utf8.elementsEqual(text.precomposedStringWithCanonicalMapping.utf8)
    }
}
