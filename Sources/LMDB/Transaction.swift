import CLMDB

/// An LMDB transaction, valid only inside the ``Environment/read(_:)`` or ``Environment/write(_:)`` closure that
/// received it.
///
/// It is `~Copyable`: it cannot be stored, copied out of its closure, or sent to another thread. Buffers it
/// returns point into the memory map and are valid only until the closure returns; copy what you keep.
public struct Transaction: ~Copyable {
    /// The underlying `MDB_txn`.
    public let pointer: OpaquePointer
    /// Whether this is a read-only transaction.
    public let isReadOnly: Bool
    private var finished = false

    init(environment: Environment, readOnly: Bool) throws(LMDBError) {
        var txn: OpaquePointer?
        try check(
            mdb_txn_begin(environment.pointer, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn),
            readOnly ? "mdb_txn_begin(read)" : "mdb_txn_begin(write)")
        self.pointer = txn!
        self.isReadOnly = readOnly
    }

    deinit {
        if !finished { mdb_txn_abort(pointer) }
    }

    /// Commits the transaction; returns the failure code, if any. Committing a read-only transaction keeps the
    /// database handles it opened, which aborting would close.
    consuming func commitResult() -> LMDBError.Code? {
        finished = true
        let rc = mdb_txn_commit(pointer)
        if rc == MDB_SUCCESS { return nil }
        return LMDBError.Code(rawValue: rc)
    }

    consuming func abort() {
        finished = true
        mdb_txn_abort(pointer)
    }

    /// The value stored under `key`, or `nil`. The buffer is valid until the transaction ends.
    ///
    /// For a `duplicateSort` database, the first value. The corresponding C function is `mdb_get`.
    public func get(_ database: Database, key: UnsafeRawBufferPointer) throws(LMDBError) -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(pointer, database.handle, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_get(\(database.name))")
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    /// The value stored under `key`, copied, or `nil`.
    public func get(_ database: Database, key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { (k: UnsafeRawBufferPointer) throws -> [UInt8]? in
            try get(database, key: k).map { Array($0) }
        }
    }

    /// Stores `value` under `key`.
    ///
    /// - Throws: ``LMDBError`` `keyExists` with `.noOverwrite`/`.append` when the key is present or out of order,
    ///   `mapFull` (handled by ``Environment/write(_:)``), `badValueSize` for a key over 511 bytes.
    ///
    /// The corresponding C function is `mdb_put`.
    public func put(
        _ database: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []
    ) throws(LMDBError) {
        try handle.put(database, key: key, value: value, flags: flags)
    }

    /// Stores `value` under `key` (copying both).
    public func put(
        _ database: Database, key: [UInt8], value: [UInt8], flags: PutFlags = []
    ) throws {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in try put(database, key: k, value: v, flags: flags) }
        }
    }

    /// Deletes `key` (and, for `duplicateSort`, only `value` when given). Returns whether anything was deleted.
    ///
    /// The corresponding C function is `mdb_del`.
    @discardableResult
    public func delete(_ database: Database, key: [UInt8], value: [UInt8]? = nil) throws -> Bool {
        try key.withUnsafeBytes { (kb: UnsafeRawBufferPointer) throws -> Bool in
            var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            let rc: Int32
            if let value {
                rc = value.withUnsafeBytes { vb in
                    var v = MDB_val(mv_size: vb.count, mv_data: UnsafeMutableRawPointer(mutating: vb.baseAddress))
                    return mdb_del(pointer, database.handle, &k, &v)
                }
            } else {
                rc = mdb_del(pointer, database.handle, &k, nil)
            }
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "mdb_del(\(database.name))")
            return true
        }
    }

    /// Removes every entry of `database`, keeping the database itself (`mdb_drop` with `del` = 0).
    public func clear(_ database: Database) throws(LMDBError) { try handle.clear(database) }

    /// Entry and page counts of `database` (`mdb_stat`).
    public func statistics(_ database: Database) throws(LMDBError) -> DatabaseStatistics {
        try handle.statistics(database)
    }

    /// Runs `body` with a cursor on `database`; the cursor is closed when `body` returns.
    ///
    /// The corresponding C functions are `mdb_cursor_open` and `mdb_cursor_close`.
    public func withCursor<R>(_ database: Database, _ body: (inout Cursor) throws -> R) throws -> R {
        try handle.withCursor(database, body)
    }
}

/// Entry and page counts of one database, from `mdb_stat`.
public struct DatabaseStatistics: Sendable, Equatable {
    /// Number of entries (key/value pairs, counting each duplicate).
    public var entries: Int
    /// Depth of the B-tree.
    public var depth: Int
    /// Branch, leaf and overflow pages.
    public var pages: Int
    /// Page size in bytes.
    public var pageSize: Int
    /// Bytes in pages.
    public var bytes: Int { pages * pageSize }
}
