import Foundation

/// A projection's tables in memory: the sorted entries of a snapshot (read in place from its decompressed tables)
/// with the changes of a replay laid over them. What ``EventStore/state(at:)`` replays into; also usable with no
/// snapshot, starting empty.
final class MemoryTables: ProjectionWriter {
    /// A snapshot table read in place (decompressed on first use), or none.
    struct Base {
        let table: SnapshotTable?

        static let empty = Base(table: nil)

        static func key(_ span: (Int, Int, Int, Int), _ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: bytes[span.0..<(span.0 + span.1)])
        }

        static func value(_ span: (Int, Int, Int, Int), _ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: bytes[span.2..<(span.2 + span.3)])
        }

        /// The first index in `spans` whose key is ≥ `key`.
        static func lowerBound(
            _ key: UnsafeRawBufferPointer, _ spans: [(Int, Int, Int, Int)], _ bytes: UnsafeRawBufferPointer
        ) -> Int {
            var low = 0
            var high = spans.count
            while low < high {
                let middle = (low + high) / 2
                if compareBytes(Self.key(spans[middle], bytes), key) < 0 { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    private var bases: [Base]
    private var overlays: [SortedOverlay]

    /// Empty tables, `count` of them.
    init(tableCount: Int) {
        bases = Array(repeating: .empty, count: tableCount)
        overlays = Array(repeating: SortedOverlay(), count: tableCount)
    }

    /// Tables over a snapshot's decoded tables.
    init(bases: [Base]) {
        self.bases = bases
        overlays = Array(repeating: SortedOverlay(), count: bases.count)
    }

    /// Calls `body` with the base table's spans and bytes (empty without a snapshot).
    private func withBase<R>(
        _ table: ProjectionTable, _ body: ([(Int, Int, Int, Int)], UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        guard let snapshot = bases[table.index].table else {
            return try body([], UnsafeRawBufferPointer(start: nil, count: 0))
        }
        let (bytes, spans) = try snapshot.contents()
        return try body(spans, bytes)
    }

    func withValue<R>(_ table: ProjectionTable, key: [UInt8], _ body: (UnsafeRawBufferPointer?) throws -> R) throws
        -> R
    {
        if let overlaid = overlays[table.index].lookup(key) {
            guard let value = overlaid else { return try body(nil) }
            return try value.withUnsafeBytes { try body($0) }
        }
        guard let snapshot = bases[table.index].table else { return try body(nil) }
        let (bytes, spans) = try snapshot.contents()
        guard let index = try key.withUnsafeBytes({ k throws(AnnalsError) in try snapshot.position(of: k) }) else {
            return try body(nil)
        }
        return try body(Base.value(spans[index], bytes))
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
        try withBase(table) { spans, bytes in
            try prefix.withUnsafeBytes { p in
                var i = Base.lowerBound(p, spans, bytes)
                var j = 0
                while true {
                    let baseKey = i < spans.count ? Base.key(spans[i], bytes) : nil
                    let inBase = baseKey.map { $0.starts(with: p) } ?? false
                    if !inBase && j >= overlaid.count { return }
                    let order: Int =
                        if !inBase { 1 } else if j >= overlaid.count { -1 } else {
                            overlaid[j].key.withUnsafeBytes { compareBytes(baseKey!, $0) }
                        }
                    if order < 0 {
                        guard try body(baseKey!, Base.value(spans[i], bytes)) else { return }
                        i += 1
                    } else {
                        if order == 0 { i += 1 }
                        let entry = overlaid[j]
                        j += 1
                        guard let value = entry.value else { continue }
                        let go = try entry.key.withUnsafeBytes { k in try value.withUnsafeBytes { try body(k, $0) } }
                        guard go else { return }
                    }
                }
            }
        }
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
}
