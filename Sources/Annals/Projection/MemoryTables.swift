import Dispatch
import Foundation

/// A projection's tables in memory: the changes of a replay laid over base tables (a snapshot's, read in place from
/// its decompressed blocks, or a projection slot's in LMDB). What ``EventStore/state(at:)`` replays into, and a
/// rebuild between two flushes; also usable with no base, starting empty.
final class MemoryTables: ProjectionWriter {
    /// The tables underneath, `nil` where there is none.
    private var bases: [(any OverlayBase)?]
    private var overlays: [SortedOverlay]
    /// Set by ``freeze()``: no more changes.
    private var isFrozen = false

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
        try key.withUnsafeBytes { key in try withValue(table, rawKey: key, body) }
    }

    fileprivate func withValue<R>(
        _ table: ProjectionTable, rawKey key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) throws -> R
    ) throws -> R {
        let index = try table.position(among: overlays.count)
        if let overlaid = overlays[index].lookup(key) {
            guard let value = overlaid else { return try body(nil) }
            return try value.withUnsafeBytes { try body($0) }
        }
        guard let base = bases[index] else { return try body(nil) }
        return try base.withValue(for: key, body)
    }

    func scan(
        _ table: ProjectionTable, prefix: [UInt8],
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let index = try table.position(among: overlays.count)
        // Frozen tables are ordered already and read from several threads at once: nothing may change them.
        if !isFrozen { overlays[index].prepareOrder() }
        try prefix.withUnsafeBytes { prefix in
            try walk(table, from: prefix, within: prefix) { key, value in
                guard key.starts(with: prefix) else { return false }
                return try body(key, value)
            }
        }
    }

    /// Calls `body` with each entry of `table` whose key is ≥ `start`, in key order, until it returns `false`: the
    /// overlay's entries merged with the base's, the overlay's value replacing the base's for the same key and its
    /// tombstones hiding them. Only reads, so it needs an overlay in key order (``SortedOverlay/prepareOrder()``).
    /// With `prefix`, the base and the overlay are read only while their keys start with it: past it, `body` (which
    /// stops there) would otherwise not be asked while tombstones hide or make up the entries, and a walk over a
    /// table whose later entries are deleted in the overlay would read all of them.
    fileprivate func walk(
        _ table: ProjectionTable, from start: UnsafeRawBufferPointer, within prefix: UnsafeRawBufferPointer? = nil,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let index = try table.position(among: overlays.count)
        let overlay = overlays[index]
        var next = overlay.orderedPosition(of: start)
        /// Passes on the overlay's entries before `limit` (all when `nil`); `false` when `body` asked to stop.
        func emitOverlaid(before limit: UnsafeRawBufferPointer?) throws -> Bool {
            while let entry = overlay.entry(at: next) {
                if let limit, entry.key.withUnsafeBytes({ compareBytes($0, limit) }) >= 0 { return true }
                // Past the prefix (tombstones are skipped without asking `body`, which would stop there).
                if let prefix, !entry.key.starts(with: prefix) { return false }
                overlay.advance(&next)
                guard let value = entry.value else { continue }
                let go = try entry.key.withUnsafeBytes { k in try value.withUnsafeBytes { try body(k, $0) } }
                guard go else { return false }
            }
            return true
        }
        var stopped = false
        if let base = bases[index] {
            try base.forEach(from: start) { key, value in
                // Past the prefix: the overlay's entries left are emitted below, and `body` stops at the first
                // outside it.
                if let prefix, !key.starts(with: prefix) { return false }
                guard try emitOverlaid(before: key) else {
                    stopped = true
                    return false
                }
                // The overlay's entry for the same key, if any, replaces the base's.
                if let entry = overlay.entry(at: next), entry.key.withUnsafeBytes({ compareBytes($0, key) }) == 0 {
                    return true
                }
                guard try body(key, value) else {
                    stopped = true
                    return false
                }
                return true
            }
        }
        if !stopped { _ = try emitOverlaid(before: nil) }
    }

    /// Sets `key` to `value` in `table`.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for a key LMDB cannot store (empty, or longer than 511 bytes), as
    ///   ``LMDBTables`` refuses it: a replay fails at the event that made it, naming its offset, rather than when its
    ///   changes are flushed to LMDB (or never, in time travel and a rollback's plan, which would then show what no
    ///   view can hold).
    func put(_ table: ProjectionTable, key: [UInt8], value: [UInt8]) throws {
        precondition(!isFrozen, "MemoryTables changed after freeze()")
        let index = try table.position(among: overlays.count)
        try LMDBTables.checkKeySize(key.count, in: "table \(index)")
        overlays[index].set(key, value)
    }

    /// Sets a tombstone without looking the key up (a tombstone over a key the base lacks hides nothing).
    func remove(_ table: ProjectionTable, key: [UInt8]) throws {
        precondition(!isFrozen, "MemoryTables changed after freeze()")
        overlays[try table.position(among: overlays.count)].set(key, nil)
    }

    @discardableResult
    func delete(_ table: ProjectionTable, key: [UInt8]) throws -> Bool {
        precondition(!isFrozen, "MemoryTables changed after freeze()")
        let present = try contains(table, key: key)
        if present { overlays[try table.position(among: overlays.count)].set(key, nil) }
        return present
    }

    /// How many changes (values and deletions) the tables hold.
    var changeCount: Int { overlays.reduce(0) { $0 + $1.count } }

    /// The bytes of the keys and values the changes hold.
    var changedBytes: Int { overlays.reduce(0) { $0 + $1.byteCount } }

    /// Puts every table's changes in key order and refuses further changes: the tables can then be flushed on
    /// one thread (``forEachChange(_:_:)``) while another reads them as a base (``base(_:)``).
    func freeze() {
        Self.freeze([self])
    }

    /// ``freeze()`` for several sets of tables at once, sorting their tables on every core (largest first): a rebuild
    /// freezes each stretch's tables while nothing else runs.
    static func freeze(_ all: [MemoryTables]) {
        let jobs = all.indices.flatMap { set in all[set].overlays.indices.map { (set, $0) } }
            .sorted { all[$0.0].overlays[$0.1].count > all[$1.0].overlays[$1.1].count }
        let orders = UnsafeMutableBufferPointer<[Int32]>.allocate(capacity: jobs.count)
        orders.initialize(repeating: [])
        defer {
            orders.deinitialize()
            orders.deallocate()
        }
        // Each job reads one overlay and writes one slot; the overlays change only afterwards, on this thread.
        let work = FreezeJobs(tables: all, jobs: jobs, orders: orders)
        DispatchQueue.concurrentPerform(iterations: jobs.count) { work.run($0) }
        for (job, (set, table)) in jobs.enumerated() { all[set].overlays[table].adoptFinalOrder(orders[job]) }
        for tables in all { tables.isFrozen = true }
    }

    /// The key order of table `table`'s changes, computed without changing them (``SortedOverlay/finalOrder()``).
    fileprivate func finalOrder(of table: Int) -> [Int32] {
        overlays[table].finalOrder()
    }

    /// Lays the tables over `bases` instead, such as the LMDB tables that a flush of the tables beneath has reached.
    func rebase(onto bases: [(any OverlayBase)?]) {
        precondition(bases.count == self.bases.count, "MemoryTables rebased onto \(bases.count) tables")
        self.bases = bases
    }

    /// Table `table` of these tables, once frozen, as the base of another replay's tables.
    func base(_ table: ProjectionTable) -> any OverlayBase {
        precondition(isFrozen, "MemoryTables used as a base before freeze()")
        return FrozenTable(tables: self, table: table)
    }

    /// Calls `body` with every change laid over table `table`, in key order: a value, or `nil` for a deletion. The
    /// tables must be frozen.
    func forEachChange(_ table: ProjectionTable, _ body: (_ key: [UInt8], _ value: [UInt8]?) throws -> Void) rethrows {
        precondition(isFrozen, "MemoryTables flushed before freeze()")
        try overlays[table.index].forEachInFinalOrder(body)
    }
}

/// What the workers of ``MemoryTables/freeze(_:)`` share: job `j` orders table `jobs[j].1` of `tables[jobs[j].0]`
/// into `orders[j]`.
private struct FreezeJobs: @unchecked Sendable {
    let tables: [MemoryTables]
    let jobs: [(Int, Int)]
    let orders: UnsafeMutableBufferPointer<[Int32]>

    func run(_ job: Int) {
        let (set, table) = jobs[job]
        orders[job] = tables[set].finalOrder(of: table)
    }
}

/// One table of frozen ``MemoryTables`` as an ``OverlayBase``: the changes of one stretch of a rebuild, still being
/// written to LMDB while the next stretch replays over them.
private final class FrozenTable: OverlayBase {
    let tables: MemoryTables
    let table: ProjectionTable

    init(tables: MemoryTables, table: ProjectionTable) {
        self.tables = tables
        self.table = table
    }

    func withValue<R>(for key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) throws -> R) throws -> R {
        try tables.withValue(table, rawKey: key, body)
    }

    func forEach(
        from start: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try tables.walk(table, from: start, body)
    }
}
