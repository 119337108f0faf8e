import Crypto

/// A deterministic digest of a projection's tables (SHA-256 over every table's name and sorted entries), and the
/// differences between two versions of them, for `annals rebuild --verify`.
public struct ProjectionDigest: Sendable, Equatable {
    /// The hex SHA-256.
    public var hex: String
    /// Entries per table.
    public var entries: [String: Int]

    /// The digest of `tables` (the tables named `names`).
    static func compute(_ tables: any ProjectionReader, names: [String]) throws -> ProjectionDigest {
        var hasher = SHA256()
        var counts: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            hasher.update(data: lengthPrefix(name.utf8.count) + Array(name.utf8))
            var count = 0
            try tables.scan(ProjectionTable(index), prefix: []) { key, value in
                hasher.update(data: lengthPrefix(key.count))
                hasher.update(bufferPointer: key)
                hasher.update(data: lengthPrefix(value.count))
                hasher.update(bufferPointer: value)
                count += 1
                return true
            }
            counts[name] = count
        }
        let hex = Array(hasher.finalize()).hexadecimal
        return ProjectionDigest(hex: hex, entries: counts)
    }

    private static func lengthPrefix(_ count: Int) -> [UInt8] { UInt32(count).bigEndianBytes }
}

/// One key whose entry differs between two versions of a projection's table.
public struct ProjectionDifference: Sendable, Equatable, CustomStringConvertible {
    /// How the entry differs.
    public enum Kind: String, Sendable {
        /// Only the current view has it.
        case onlyInCurrent = "only in current"
        /// Only the rebuilt view has it.
        case onlyInRebuilt = "only in rebuilt"
        /// Both have it, with different values.
        case valueDiffers = "value differs"
    }

    /// The table.
    public var table: String
    /// The key, as text when it is printable UTF-8 and as hex otherwise.
    public var key: String
    /// How it differs.
    public var kind: Kind

    /// "things: 'lamp-1' value differs".
    public var description: String { "\(table): '\(key)' \(kind.rawValue)" }

    /// Up to `limit` differences per table between `current` and `rebuilt`, by a merge of the sorted keys.
    static func between(
        _ current: any ProjectionReader, _ rebuilt: any ProjectionReader, names: [String], limit: Int
    ) throws -> [ProjectionDifference] {
        var differences: [ProjectionDifference] = []
        for (index, name) in names.enumerated() {
            let table = ProjectionTable(index)
            var left: [([UInt8], [UInt8])] = []
            try current.scan(table, prefix: []) { k, v in
                left.append((Array(k), Array(v)))
                return true
            }
            var found = 0
            var i = 0
            func note(_ key: [UInt8], _ kind: Kind) -> Bool {
                differences.append(ProjectionDifference(table: name, key: printable(key), kind: kind))
                found += 1
                return found < limit
            }
            var going = true
            try rebuilt.scan(table, prefix: []) { k, v in
                let key = Array(k)
                while i < left.count && left[i].0.lexicographicallyPrecedes(key) {
                    guard note(left[i].0, .onlyInCurrent) else {
                        going = false
                        return false
                    }
                    i += 1
                }
                if i < left.count && left[i].0 == key {
                    if left[i].1 != Array(v) { going = note(key, .valueDiffers) }
                    i += 1
                } else {
                    going = note(key, .onlyInRebuilt)
                }
                return going
            }
            while going && i < left.count {
                going = note(left[i].0, .onlyInCurrent)
                i += 1
            }
        }
        return differences
    }

    static func printable(_ key: [UInt8]) -> String {
        if let text = String(validating: key, as: UTF8.self),
            text.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\0" })
        {
            return text.replacingOccurrences(of: "\0", with: "␀")
        }
        return key.hexadecimal
    }
}
