import Glibc
/// An ordered map from byte keys to values or tombstones, kept as a list of sorted chunks so that inserts and
/// deletes stay cheap at hundreds of thousands of keys. The changes made on top of a snapshot during a replay.
struct SortedOverlay {
    struct Entry {
        var key: [UInt8]
        /// `nil` marks a deletion of a key the base holds.
        var value: [UInt8]?
    }

    private static let chunkLimit = 512
    private var chunks: [[Entry]] = []

    /// The index of the chunk that holds or would hold `key`.
    private func chunkIndex(_ key: [UInt8]) -> Int {
        var low = 0
        var high = chunks.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if compareBytes(chunks[middle][0].key, key) <= 0 { low = middle } else { high = middle - 1 }
        }
        return max(low, 0)
    }

    /// The position of `key` in `chunk`, and whether it is there.
    private static func position(_ key: [UInt8], in chunk: [Entry]) -> (Int, Bool) {
        var low = 0
        var high = chunk.count
        while low < high {
            let middle = (low + high) / 2
            let order = compareBytes(chunk[middle].key, key)
            if order == 0 { return (middle, true) }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }

    /// The entry for `key`: `.some(nil)` for a tombstone, `nil` when the overlay does not know the key.
    func lookup(_ key: [UInt8]) -> [UInt8]?? {
        guard !chunks.isEmpty else { return nil }
        let chunk = chunks[chunkIndex(key)]
        let (index, found) = Self.position(key, in: chunk)
        return found ? .some(chunk[index].value) : nil
    }

    /// Sets `key` to `value` (`nil` for a tombstone).
    mutating func set(_ key: [UInt8], _ value: [UInt8]?) {
        guard !chunks.isEmpty else {
            chunks = [[Entry(key: key, value: value)]]
            return
        }
        let c = chunkIndex(key)
        let (index, found) = Self.position(key, in: chunks[c])
        if found {
            chunks[c][index].value = value
            return
        }
        chunks[c].insert(Entry(key: key, value: value), at: index)
        if chunks[c].count > Self.chunkLimit {
            let upper = Array(chunks[c][(Self.chunkLimit / 2)...])
            chunks[c].removeLast(chunks[c].count - Self.chunkLimit / 2)
            chunks.insert(upper, at: c + 1)
        }
    }

    /// Calls `body` with each entry at or after `start`, in key order, until it returns `false`.
    func forEach(from start: [UInt8], _ body: (Entry) throws -> Bool) rethrows {
        guard !chunks.isEmpty else { return }
        var c = chunkIndex(start)
        var (index, _) = Self.position(start, in: chunks[c])
        while c < chunks.count {
            while index < chunks[c].count {
                guard try body(chunks[c][index]) else { return }
                index += 1
            }
            c += 1
            index = 0
        }
    }
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
