import Foundation

/// A projection's tables in memory: the changes of a replay laid over base tables (a snapshot's, read in place from
/// its decompressed blocks, or a projection slot's in LMDB). What ``EventStore/state(at:)`` replays into, and a
/// rebuild between two flushes; also usable with no base, starting empty.
final class MemoryTables: ProjectionWriter {
    /// The tables underneath, `nil` where there is none.
    private var bases: [(any OverlayBase)?]
    private var overlays: [SortedOverlay]

    /// Empty tables, `count` of them.
    init(tableCount: Int) {
        bases = Array(repeating: nil, count: tableCount)
        overlays = Array(repeating: SortedOverlay(), count: tableCount)
    }

    /// Tables over `bases`, such as a snapshot's tables (`nil` for a table the snapshot does not hold: it starts
    /// empty).
    init(bases: [(any OverlayBase)?]) {
        self.bases = bases
        overlays = Array(repeating: SortedOverlay(), count: bases.count)
    }

    func withValue<R>(_ table: ProjectionTable, key: [UInt8], _ body: (UnsafeRawBufferPointer?) throws -> R) throws
        -> R
    {
        if let overlaid = overlays[table.index].lookup(key) {
            guard let value = overlaid else { return try body(nil) }
            return try value.withUnsafeBytes { try body($0) }
        }
        guard let base = bases[table.index] else { return try body(nil) }
        return try body(try key.withUnsafeBytes { k in try base.value(for: k) })
    }

    func scan(
        _ table: ProjectionTable, prefix: [UInt8],
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        // Collect the overlay's entries under the prefix, then merge them with the base's, the overlay winning.
        var overlaid: [SortedOverlay.Entry] = []
        overlays[table.index].forEach(from: prefix) { entry in
            guard entry.key.starts(with: prefix) else { return false }
            overlaid.append(entry)
            return true
        }
        var next = 0
        /// Passes on the overlay's entries before `limit` (all when `nil`); `false` when `body` asked to stop.
        func emitOverlaid(before limit: UnsafeRawBufferPointer?) throws -> Bool {
            while next < overlaid.count {
                let entry = overlaid[next]
                if let limit, entry.key.withUnsafeBytes({ compareBytes($0, limit) }) >= 0 { return true }
                next += 1
                guard let value = entry.value else { continue }
                let go = try entry.key.withUnsafeBytes { k in try value.withUnsafeBytes { try body(k, $0) } }
                guard go else { return false }
            }
            return true
        }
        var stopped = false
        if let base = bases[table.index] {
            try prefix.withUnsafeBytes { p in
                try base.forEach(from: p) { key, value in
                    guard key.starts(with: p) else { return false }
                    guard try emitOverlaid(before: key) else {
                        stopped = true
                        return false
                    }
                    // The overlay's entry for the same key, if any, replaces the base's.
                    if next < overlaid.count, overlaid[next].key.withUnsafeBytes({ compareBytes($0, key) }) == 0 {
                        return true
                    }
                    guard try body(key, value) else {
                        stopped = true
                        return false
                    }
                    return true
                }
            }
        }
        if !stopped { _ = try emitOverlaid(before: nil) }
    }

    func put(_ table: ProjectionTable, key: [UInt8], value: [UInt8]) throws {
        overlays[table.index].set(key, value)
    }

    /// Sets a tombstone without looking the key up (a tombstone over a key the base lacks hides nothing).
    func remove(_ table: ProjectionTable, key: [UInt8]) throws {
        overlays[table.index].set(key, nil)
    }

    @discardableResult
    func delete(_ table: ProjectionTable, key: [UInt8]) throws -> Bool {
        let present = try contains(table, key: key)
        if present { overlays[table.index].set(key, nil) }
        return present
    }

    /// Calls `body` with every change laid over table `table`, in key order: a value, or `nil` for a deletion.
    func forEachChange(_ table: ProjectionTable, _ body: (_ key: [UInt8], _ value: [UInt8]?) throws -> Void) rethrows {
        try overlays[table.index].forEach(from: []) { entry in
            try body(entry.key, entry.value)
            return true
        }
    }
}
