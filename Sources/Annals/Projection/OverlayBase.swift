import LMDB

/// What the tables of ``MemoryTables`` lay their changes over: a snapshot's table (time travel), or a table of a
/// projection slot in LMDB (a rebuild replaying in memory between flushes). Buffers stay valid as long as the base
/// (for LMDB, the read transaction it is bound to).
protocol OverlayBase: AnyObject {
    /// Calls `body` with the value stored under `key`, or `nil`; the buffer is valid only inside `body`.
    func withValue<R>(for key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) throws -> R) throws -> R
    /// Calls `body` with each entry whose key is ≥ `start`, in key order, until it returns `false` or the entries end.
    func forEach(
        from start: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws
}

/// A table of a projection slot in LMDB as a base, read through the read transaction bound to it for the length of
/// one replay job (``bind(_:)``). Only the rebuild that owns the slot writes it, between jobs.
final class LMDBTableBase: OverlayBase, @unchecked Sendable {
    let database: Database
    private var transaction: TransactionHandle?

    init(_ database: Database) { self.database = database }

    /// Reads go through `transaction` until the next call (`nil` unbinds).
    func bind(_ transaction: TransactionHandle?) { self.transaction = transaction }

    private func bound() -> TransactionHandle {
        guard let transaction else { preconditionFailure("LMDBTableBase read outside a bound read transaction") }
        return transaction
    }

    func withValue<R>(for key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) throws -> R) throws -> R {
        try bound().withValue(database, key: key, body)
    }

    func forEach(
        from start: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try bound().withCursor(database) { cursor in
            var entry = start.isEmpty ? try cursor.get(.first) : try cursor.seek(.setRange, to: Array(start))
            while let current = entry {
                guard try body(current.key, current.value) else { return }
                entry = try cursor.get(.next)
            }
        }
    }
}
