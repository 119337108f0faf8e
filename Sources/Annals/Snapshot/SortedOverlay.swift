import Glibc
/// A map from byte keys to values or tombstones that can also be walked in key order: the changes made on top of
/// a snapshot during a replay.
///
/// A replay mostly looks keys up and sets them, so those go through a hash table. The key order that prefix scans
/// need is kept as a sorted array of keys, and keys new since the last scan wait in a small unsorted list that the
/// next scan sorts and merges in: a replay of tens of thousands of updates pays for ordering only at its few scans.
struct SortedOverlay {
    struct Entry {
        var key: [UInt8]
        /// `nil` marks a deletion of a key the base holds.
        var value: [UInt8]?
    }

    private var values: [OverlayKey: [UInt8]?] = [:]
    /// Every key of `values` not in `pending`, in order.
    private var sorted: [[UInt8]] = []
    /// Keys added since `sorted` was last brought up to date.
    private var pending: [[UInt8]] = []

    /// The entry for `key`: `.some(nil)` for a tombstone, `nil` when the overlay does not know the key.
    func lookup(_ key: [UInt8]) -> [UInt8]?? { values[OverlayKey(key)] }

    /// Sets `key` to `value` (`nil` for a tombstone).
    mutating func set(_ key: [UInt8], _ value: [UInt8]?) {
        if values.updateValue(value, forKey: OverlayKey(key)) == nil { pending.append(key) }
    }

    /// Calls `body` with each entry at or after `start`, in key order, until it returns `false`.
    mutating func forEach(from start: [UInt8], _ body: (Entry) throws -> Bool) rethrows {
        if !pending.isEmpty { mergePending() }
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if compareBytes(sorted[middle], start) < 0 { low = middle + 1 } else { high = middle }
        }
        for key in sorted[low...] {
            guard try body(Entry(key: key, value: values[OverlayKey(key)]!)) else { return }
        }
    }

    /// Sorts the pending keys and merges them into `sorted`.
    private mutating func mergePending() {
        pending.sort { compareBytes($0, $1) < 0 }
        guard !sorted.isEmpty else {
            swap(&sorted, &pending)
            return
        }
        var merged: [[UInt8]] = []
        merged.reserveCapacity(sorted.count + pending.count)
        var i = 0
        var j = 0
        while i < sorted.count || j < pending.count {
            if j == pending.count || (i < sorted.count && compareBytes(sorted[i], pending[j]) < 0) {
                merged.append(sorted[i])
                i += 1
            } else {
                merged.append(pending[j])
                j += 1
            }
        }
        sorted = merged
        pending.removeAll(keepingCapacity: true)
    }
}

/// A byte key hashed as one buffer (an array of bytes would be hashed byte by byte).
private struct OverlayKey: Hashable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: OverlayKey, b: OverlayKey) -> Bool { a.bytes == b.bytes }
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
