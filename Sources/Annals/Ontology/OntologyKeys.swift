/// Keys of the ontology tables: parts joined with a 0 byte, which identifiers cannot contain.
enum OntologyKey {
    /// The key of two parts (without the array a variadic call would allocate: keys are made for every event).
    static func make(_ first: String, _ second: String) -> [UInt8] { join(first, second, nil) }

    /// The key of three parts.
    static func make(_ first: String, _ second: String, _ third: String) -> [UInt8] { join(first, second, third) }

    private static func join(_ first: String, _ second: String, _ third: String?) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(first.utf8.count + 1 + second.utf8.count + (third.map { 1 + $0.utf8.count } ?? 0))
        key.appendUTF8(first)
        key.append(0)
        key.appendUTF8(second)
        if let third {
            key.append(0)
            key.appendUTF8(third)
        }
        return key
    }

    /// The key of any number of parts.
    static func make(_ parts: [String]) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(parts.reduce(parts.count) { $0 + $1.utf8.count })
        for (index, part) in parts.enumerated() {
            if index > 0 { key.append(0) }
            key.appendUTF8(part)
        }
        return key
    }

    /// The prefix of keys starting with `parts` (each followed by the separator).
    static func prefix(_ parts: String...) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(parts.reduce(parts.count) { $0 + $1.utf8.count })
        for part in parts {
            key.appendUTF8(part)
            key.append(0)
        }
        return key
    }

    /// The part after the last separator (the entity id of an index key).
    static func lastPart(_ key: UnsafeRawBufferPointer) -> String {
        let start = (key.lastIndex(of: 0).map { $0 + 1 }) ?? 0
        return String(decoding: UnsafeRawBufferPointer(rebasing: key[start...]), as: UTF8.self)
    }

    /// The parts of `key`.
    static func parts(_ key: UnsafeRawBufferPointer) -> [String] {
        key.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }
}
