import CAnnalsSupport
import Glibc
import LMDB

/// A map from byte keys to values or tombstones that can also be walked in key order: the changes made on top of
/// a snapshot during a replay.
///
/// A replay mostly looks keys up and sets them, so those go through an open-addressing hash table over the entries
/// (which are only ever added: a deletion is a tombstone). The key order that prefix scans need is kept as two sorted
/// runs of entry numbers, a long one and a recent one at most an eighth of its length: entries added since the last
/// scan are sorted and merged into the recent run by the next scan, and the recent run into the long one when it has
/// grown to an eighth of it. A replay of tens of thousands of updates thus pays for ordering only at its few scans,
/// and a scan costs at most a pass over the recent run, not over every entry.
struct SortedOverlay {
    struct Entry {
        var key: [UInt8]
        /// `nil` marks a deletion of a key the base holds.
        var value: [UInt8]?
    }

    /// The entries, numbered in the order they were added; a key and its value side by side, so a lookup that
    /// found the key finds the value in the same cache line.
    private var entries: [Entry] = []
    /// The bytes of the keys and values the entries hold.
    private(set) var byteCount = 0
    /// Per entry, the hash of its key (to rehash without reading the keys).
    private var hashes: [Int] = []
    /// Per slot, 0 when empty, else the entry number + 1 in the low 32 bits and the high 32 bits of the key's hash
    /// in the high ones (so probing compares only the keys whose hashes agree); a power of two at least twice the
    /// entries.
    private var slots: [UInt64] = []
    /// Entry numbers in key order (entries are numbered in the order they were added): the long run.
    private var ordered: [Int32] = []
    /// The entries ordered since `ordered` last took them in, in key order; the entries below
    /// `ordered.count + recent.count` are in one of the two runs.
    private var recent: [Int32] = []

    /// A place in key order: one position in each run.
    struct Position {
        fileprivate var long: Int
        fileprivate var recent: Int
    }

    /// The entry for `key`: `.some(nil)` for a tombstone, `nil` when the overlay does not know the key.
    func lookup(_ key: [UInt8]) -> [UInt8]?? {
        guard let entry = key.withUnsafeBytes({ find($0, hash: byteHash($0)).entry }) else { return nil }
        return .some(entries[entry].value)
    }

    /// The entry for `key`, as ``lookup(_:)``.
    func lookup(_ key: UnsafeRawBufferPointer) -> [UInt8]?? {
        guard let entry = find(key, hash: byteHash(key)).entry else { return nil }
        return .some(entries[entry].value)
    }

    /// Sets `key` to `value` (`nil` for a tombstone).
    mutating func set(_ key: [UInt8], _ value: [UInt8]?) {
        let hash = key.withUnsafeBytes { byteHash($0) }
        let (entry, slot) = key.withUnsafeBytes { find($0, hash: hash) }
        if let entry {
            byteCount += (value?.count ?? 0) - (entries[entry].value?.count ?? 0)
            entries[entry].value = value
            return
        }
        byteCount += key.count + (value?.count ?? 0)
        entries.append(Entry(key: key, value: value))
        hashes.append(hash)
        if entries.count * 2 > slots.count {
            rehash()
        } else {
            slots[slot] = Self.slotValue(entry: entries.count - 1, hash: hash)
        }
    }

    private static func slotValue(entry: Int, hash: Int) -> UInt64 {
        UInt64(UInt(bitPattern: hash)) & 0xffff_ffff_0000_0000 | UInt64(entry + 1)
    }

    /// Whether every entry has its place in key order, so walking in key order changes nothing.
    var isOrdered: Bool { ordered.count + recent.count == entries.count }

    /// Puts the entries added since the last walk in key order (``isOrdered`` afterwards).
    mutating func prepareOrder() {
        guard !isOrdered else { return }
        recent = merged(recent, sortedNewEntries())
        if recent.count * 8 >= ordered.count { mergeRuns() }
    }

    /// Every entry in key order, in one run (which makes a walk over all of them cheapest), computed without
    /// changing the overlay (so several overlays can be ordered on several threads at once).
    func finalOrder() -> [Int32] {
        isOrdered ? merged(ordered, recent) : merged(ordered, merged(recent, sortedNewEntries()))
    }

    /// Takes `order`, which ``finalOrder()`` computed on this overlay as it is, as its key order.
    mutating func adoptFinalOrder(_ order: [Int32]) {
        precondition(
            order.count == entries.count,
            "SortedOverlay given an order of \(order.count) of \(entries.count) entries")
        ordered = order
        recent = []
    }

    private mutating func mergeRuns() {
        guard !recent.isEmpty else { return }
        ordered = merged(ordered, recent)
        recent = []
    }

    /// Calls `body` with each entry at or after `start`, in key order, until it returns `false`.
    mutating func forEach(from start: [UInt8], _ body: (Entry) throws -> Bool) rethrows {
        prepareOrder()
        var position = start.withUnsafeBytes { orderedPosition(of: $0) }
        while let entry = entry(at: position) {
            guard try body(entry) else { return }
            advance(&position)
        }
    }

    /// Calls `body` with every entry in key order; the overlay must be in one run (``adoptFinalOrder(_:)``). Only
    /// reads, as ``entry(at:)``.
    ///
    /// The entries are stored in the order they were added, so a walk in key order finds each one's array slots and
    /// bytes in memory the CPU has not cached; waiting for them was most of a rebuild's flush. This walk asks for the
    /// slots of the entry ``slotLead`` steps ahead and for the bytes of the one ``storageLead`` ahead (whose slots have
    /// arrived by then), so they are loaded while `body` writes the entries before them.
    func forEachInFinalOrder(_ body: (_ key: [UInt8], _ value: [UInt8]?) throws -> Void) rethrows {
        precondition(recent.isEmpty && ordered.count == entries.count, "SortedOverlay walked before its final order")
        try ordered.withUnsafeBufferPointer { order in
            try entries.withUnsafeBufferPointer { entries in
                for step in order.indices {
                    if step + Self.slotLead < order.count {
                        annals_prefetch(entries.baseAddress! + Int(order[step + Self.slotLead]))
                    }
                    if step + Self.storageLead < order.count {
                        let ahead = UnsafeRawPointer(entries.baseAddress! + Int(order[step + Self.storageLead]))
                        annals_prefetch(Self.storageAddress(at: ahead + MemoryLayout<Entry>.offset(of: \.key)!))
                        annals_prefetch(Self.storageAddress(at: ahead + MemoryLayout<Entry>.offset(of: \.value)!))
                    }
                    let entry = Int(order[step])
                    try body(entries[entry].key, entries[entry].value)
                }
            }
        }
    }

    /// How many steps ahead ``forEachInFinalOrder(_:)`` asks for an entry's array slots.
    static let slotLead = 16
    /// How many steps ahead ``forEachInFinalOrder(_:)`` asks for an entry's bytes.
    static let storageLead = 8

    /// The address of the heap storage of the array (or optional array) at `field`, read as plain bits for a
    /// prefetch hint: no reference is taken. `nil` for a `nil` array or when arrays are not one pointer wide.
    private static func storageAddress(at field: UnsafeRawPointer) -> UnsafeRawPointer? {
        guard MemoryLayout<[UInt8]?>.size == MemoryLayout<UInt>.size else { return nil }
        return UnsafeRawPointer(bitPattern: field.load(as: UInt.self))
    }

    /// How many entries (values and tombstones) the overlay holds.
    var count: Int { entries.count }

    /// The place in key order of the first entry whose key is ≥ `start`. Only reads, so another thread may call it
    /// (and ``entry(at:)``, ``advance(_:)``) while no one sets entries; the overlay must be ``isOrdered``.
    func orderedPosition(of start: UnsafeRawBufferPointer) -> Position {
        precondition(isOrdered, "SortedOverlay walked in key order before prepareOrder()")
        return Position(long: lowerBound(ordered, start), recent: lowerBound(recent, start))
    }

    /// The entry at `position`, or `nil` past the last.
    func entry(at position: Position) -> Entry? {
        guard let entry = entryNumber(at: position).map(Int.init) else { return nil }
        return entries[entry]
    }

    /// Moves `position` past the entry at it.
    func advance(_ position: inout Position) {
        guard let entry = entryNumber(at: position) else { return }
        if position.long < ordered.count && ordered[position.long] == entry {
            position.long += 1
        } else {
            position.recent += 1
        }
    }

    /// The entry number at `position`: the smaller of the two runs' next keys.
    private func entryNumber(at position: Position) -> Int32? {
        let long = position.long < ordered.count ? ordered[position.long] : nil
        let recent = position.recent < self.recent.count ? self.recent[position.recent] : nil
        guard let long, let recent else { return long ?? recent }
        return compareBytes(entries[Int(long)].key, entries[Int(recent)].key) < 0 ? long : recent
    }

    /// The first index of `run` whose key is ≥ `start`.
    private func lowerBound(_ run: [Int32], _ start: UnsafeRawBufferPointer) -> Int {
        var low = 0
        var high = run.count
        while low < high {
            let middle = (low + high) / 2
            let below = entries[Int(run[middle])].key.withUnsafeBytes { compareBytes($0, start) < 0 }
            if below { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The entry holding `key` (whose ``byteHash(_:)`` is `hash`), or the empty slot where it would go.
    private func find(_ key: UnsafeRawBufferPointer, hash: Int) -> (entry: Int?, slot: Int) {
        guard !slots.isEmpty else { return (nil, 0) }
        let mask = slots.count - 1
        let tag = UInt64(UInt(bitPattern: hash)) & 0xffff_ffff_0000_0000
        var slot = hash & mask
        while true {
            let stored = slots[slot]
            if stored == 0 { return (nil, slot) }
            if stored & 0xffff_ffff_0000_0000 == tag {
                let entry = Int(stored & 0xffff_ffff) - 1
                if entries[entry].key.withUnsafeBytes({ compareBytes($0, key) == 0 }) { return (entry, slot) }
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func rehash() {
        var capacity = max(slots.count * 2, 64)
        while capacity < entries.count * 2 { capacity *= 2 }
        slots = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        for (index, hash) in hashes.enumerated() {
            var slot = hash & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Self.slotValue(entry: index, hash: hash)
        }
    }

    /// The entries added since the last walk, in key order.
    private func sortedNewEntries() -> [Int32] {
        let entries = self.entries
        // Sort by the first 16 bytes as two big-endian integers (cheap to compare), the whole keys breaking ties.
        var prefixed = (ordered.count + recent.count..<entries.count).map { index in
            entries[index].key.withUnsafeBytes { key -> (UInt64, UInt64, Int32) in
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
            return compareBytes(entries[Int(a.2)].key, entries[Int(b.2)].key) < 0
        }
        return prefixed.map(\.2)
    }

    /// Two runs of entry numbers (of distinct keys) merged into one, in key order.
    private func merged(_ a: [Int32], _ b: [Int32]) -> [Int32] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var merged: [Int32] = []
        merged.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && compareBytes(entries[Int(a[i])].key, entries[Int(b[j])].key) < 0) {
                merged.append(a[i])
                i += 1
            } else {
                merged.append(b[j])
                j += 1
            }
        }
        return merged
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

/// Bytewise comparison of two buffers (LMDB's default order, ``LMDB/compareKeys(_:_:)``): negative, zero or
/// positive.
@inline(__always)
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    compareKeys(a, b)
}
