import Glibc
/// A map from byte keys to values or tombstones that can also be walked in key order: the changes made on top of
/// a snapshot during a replay.
///
/// A replay mostly looks keys up and sets them, so those go through an open-addressing hash table over the entries
/// (which are only ever added: a deletion is a tombstone). The key order that prefix scans need is kept as a sorted
/// array of entry numbers, and entries added since the last scan are sorted and merged in by the next one: a replay
/// of tens of thousands of updates pays for ordering only at its few scans.
struct SortedOverlay {
    struct Entry {
        var key: [UInt8]
        /// `nil` marks a deletion of a key the base holds.
        var value: [UInt8]?
    }

    private var keys: [[UInt8]] = []
    private var values: [[UInt8]?] = []
    /// Entry number + 1 per slot, 0 for an empty slot; a power of two at least twice the entries.
    private var slots: [Int32] = []
    /// The entry numbers below `ordered.count`, in key order (entries are numbered in the order they were added).
    private var ordered: [Int32] = []

    /// The entry for `key`: `.some(nil)` for a tombstone, `nil` when the overlay does not know the key.
    func lookup(_ key: [UInt8]) -> [UInt8]?? {
        guard let entry = find(key).entry else { return nil }
        return .some(values[entry])
    }

    /// Sets `key` to `value` (`nil` for a tombstone).
    mutating func set(_ key: [UInt8], _ value: [UInt8]?) {
        let (entry, slot) = find(key)
        if let entry {
            values[entry] = value
            return
        }
        keys.append(key)
        values.append(value)
        if keys.count * 2 > slots.count {
            rehash()
        } else {
            slots[slot] = Int32(keys.count)
        }
    }

    /// Calls `body` with each entry at or after `start`, in key order, until it returns `false`.
    mutating func forEach(from start: [UInt8], _ body: (Entry) throws -> Bool) rethrows {
        if ordered.count < keys.count { mergeNewEntries() }
        var low = 0
        var high = ordered.count
        while low < high {
            let middle = (low + high) / 2
            if compareBytes(keys[Int(ordered[middle])], start) < 0 { low = middle + 1 } else { high = middle }
        }
        for entry in ordered[low...] {
            guard try body(Entry(key: keys[Int(entry)], value: values[Int(entry)])) else { return }
        }
    }

    /// The entry holding `key`, or the empty slot where it would go.
    private func find(_ key: [UInt8]) -> (entry: Int?, slot: Int) {
        guard !slots.isEmpty else { return (nil, 0) }
        let mask = slots.count - 1
        var slot = key.withUnsafeBytes { byteHash($0) } & mask
        while true {
            let stored = Int(slots[slot])
            if stored == 0 { return (nil, slot) }
            if keys[stored - 1] == key { return (stored - 1, slot) }
            slot = (slot + 1) & mask
        }
    }

    private mutating func rehash() {
        var capacity = max(slots.count * 2, 64)
        while capacity < keys.count * 2 { capacity *= 2 }
        slots = [Int32](repeating: 0, count: capacity)
        let mask = capacity - 1
        for (index, key) in keys.enumerated() {
            var slot = key.withUnsafeBytes { byteHash($0) } & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index + 1)
        }
    }

    /// Sorts the entries added since the last scan and merges them into `ordered`.
    private mutating func mergeNewEntries() {
        let keys = self.keys
        // Sort by the first 16 bytes as two big-endian integers (cheap to compare), the whole keys breaking ties.
        var prefixed = (ordered.count..<keys.count).map { index in
            keys[index].withUnsafeBytes { key -> (UInt64, UInt64, Int32) in
                var prefix = (UInt64(0), UInt64(0))
                withUnsafeMutableBytes(of: &prefix) {
                    $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: key.prefix(16)))
                }
                return (UInt64(bigEndian: prefix.0), UInt64(bigEndian: prefix.1), Int32(index))
            }
        }
        prefixed.sort { a, b in
            if a.0 != b.0 { return a.0 < b.0 }
            if a.1 != b.1 { return a.1 < b.1 }
            return compareBytes(keys[Int(a.2)], keys[Int(b.2)]) < 0
        }
        let added = prefixed.map(\.2)
        guard !ordered.isEmpty else {
            ordered = added
            return
        }
        var merged: [Int32] = []
        merged.reserveCapacity(keys.count)
        var i = 0
        var j = 0
        while i < ordered.count || j < added.count {
            if j == added.count || (i < ordered.count && compareBytes(keys[Int(ordered[i])], keys[Int(added[j])]) < 0) {
                merged.append(ordered[i])
                i += 1
            } else {
                merged.append(added[j])
                j += 1
            }
        }
        ordered = merged
    }
}

/// A 64-bit multiplicative hash of a byte key, eight bytes at a time, folded to an `Int`.
func byteHash(_ key: UnsafeRawBufferPointer) -> Int {
    var hash = UInt64(truncatingIfNeeded: key.count) &* 0x9e37_79b9_7f4a_7c15
    var i = 0
    while i + 8 <= key.count {
        hash = (hash ^ key.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 32
        i += 8
    }
    var tail: UInt64 = 0
    while i < key.count {
        tail = tail << 8 | UInt64(key[i])
        i += 1
    }
    hash = (hash ^ tail) &* 0xc4ce_b9fe_1a85_ec53
    return Int(truncatingIfNeeded: hash ^ (hash >> 29))
}

/// Bytewise comparison of two keys (LMDB's default order): negative, zero or positive.
@inline(__always)
func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in compareBytes(x, y) } }
}

/// Bytewise comparison of two buffers: negative, zero or positive.
@inline(__always)
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    if common > 0 {
        let order = memcmp(a.baseAddress!, b.baseAddress!, common)
        if order != 0 { return Int(order) }
    }
    return a.count - b.count
}
