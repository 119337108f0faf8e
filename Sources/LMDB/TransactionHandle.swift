import CLMDB

/// A non-owning reference to an open ``Transaction``, for code that must keep the transaction in a value (a table
/// accessor, a projection context) while the closure that owns it runs.
///
/// It is valid only until the closure that received the transaction returns; using it later is undefined behaviour,
/// like using a buffer the transaction returned. Obtain one with ``Transaction/handle``.
public struct TransactionHandle: @unchecked Sendable {
    /// The underlying `MDB_txn`.
    public let pointer: OpaquePointer
    /// Whether the transaction is read-only.
    public let isReadOnly: Bool

    /// Calls `body` with the value stored under `key`, or `nil`; the buffer is valid only inside `body`.
    ///
    /// The corresponding C function is `mdb_get`.
    public func withValue<R>(
        _ database: Database, key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) throws -> R
    ) throws -> R {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(pointer, database.handle, &k, &v)
        if rc == MDB_NOTFOUND { return try body(nil) }
        try check(rc, "mdb_get(\(database.name))")
        return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// Stores `value` under `key`.
    ///
    /// The corresponding C function is `mdb_put`.
    public func put(
        _ database: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []
    ) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_put(pointer, database.handle, &k, &v, flags.rawValue), "mdb_put(\(database.name))")
    }

    /// Deletes `key`; returns whether it was present.
    ///
    /// The corresponding C function is `mdb_del`.
    @discardableResult
    public func delete(_ database: Database, key: UnsafeRawBufferPointer) throws(LMDBError) -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let rc = mdb_del(pointer, database.handle, &k, nil)
        if rc == MDB_NOTFOUND { return false }
        try check(rc, "mdb_del(\(database.name))")
        return true
    }

    /// Removes every entry of `database`, keeping the database (`mdb_drop` with `del` = 0).
    public func clear(_ database: Database) throws(LMDBError) {
        try check(mdb_drop(pointer, database.handle, 0), "mdb_drop(\(database.name))")
    }

    /// Entry and page counts of `database` (`mdb_stat`).
    public func statistics(_ database: Database) throws(LMDBError) -> DatabaseStatistics {
        var stat = MDB_stat()
        try check(mdb_stat(pointer, database.handle, &stat), "mdb_stat(\(database.name))")
        return DatabaseStatistics(
            entries: Int(stat.ms_entries), depth: Int(stat.ms_depth),
            pages: Int(stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages), pageSize: Int(stat.ms_psize)
        )
    }

    /// Runs `body` with a cursor on `database`; the cursor is closed when `body` returns.
    public func withCursor<R>(_ database: Database, _ body: (inout Cursor) throws -> R) throws -> R {
        var cursor = try Cursor(transaction: pointer, database: database)
        return try body(&cursor)
    }
}

extension Transaction {
    /// A non-owning handle to this transaction, valid until the closure that received the transaction returns.
    public var handle: TransactionHandle { TransactionHandle(pointer: pointer, isReadOnly: isReadOnly) }
}
