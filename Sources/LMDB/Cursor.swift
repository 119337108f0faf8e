import CLMDB

/// A cursor over one database inside a transaction, from ``Transaction/withCursor(_:_:)``.
///
/// Keys and values it returns point into the memory map and are valid until the transaction ends.
public struct Cursor: ~Copyable {
    private let pointer: OpaquePointer
    /// The database the cursor walks.
    public let database: Database

    init(transaction: OpaquePointer, database: Database) throws(LMDBError) {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(transaction, database.handle, &cursor), "mdb_cursor_open(\(database.name))")
        self.pointer = cursor!
        self.database = database
    }

    deinit { mdb_cursor_close(pointer) }

    /// A key and value returned by a cursor move; valid until the transaction ends.
    public typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    /// Moves the cursor (`mdb_cursor_get` with `operation`) and returns the entry, or `nil` at the end.
    /// - Parameters:
    ///   - operation: The move.
    ///   - key: The key to seek for `.set`, `.setKey`, `.setRange`, `.getBoth`, `.getBothRange`.
    ///   - value: The value to seek for `.getBoth` and `.getBothRange`.
    public mutating func get(
        _ operation: CursorOperation, key: UnsafeRawBufferPointer? = nil, value: UnsafeRawBufferPointer? = nil
    ) throws(LMDBError) -> Entry? {
        var k = MDB_val(mv_size: key?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: key?.baseAddress))
        var v = MDB_val(mv_size: value?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: value?.baseAddress))
        let rc = mdb_cursor_get(pointer, &k, &v, operation.cValue)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_cursor_get(\(database.name), \(operation))")
        return (
            UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
            UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
        )
    }

    /// Moves to `key` (or the first key at or after it, with `.setRange`), copying `key` for the call.
    public mutating func seek(_ operation: CursorOperation, to key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { (k: UnsafeRawBufferPointer) throws -> Entry? in try get(operation, key: k) }
    }

    /// Stores `value` under `key` at the cursor (`mdb_cursor_put`).
    public mutating func put(
        key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []
    ) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_cursor_put(pointer, &k, &v, flags.rawValue), "mdb_cursor_put(\(database.name))")
    }

    /// Deletes the entry at the cursor (`mdb_cursor_del`).
    public mutating func deleteCurrent() throws(LMDBError) {
        try check(mdb_cursor_del(pointer, 0), "mdb_cursor_del(\(database.name))")
    }

    /// How many values the current key has in a `duplicateSort` database (`mdb_cursor_count`).
    public func duplicateCount() throws(LMDBError) -> Int {
        var count = 0
        try check(mdb_cursor_count(pointer, &count), "mdb_cursor_count(\(database.name))")
        return count
    }
}

/// A cursor move (`MDB_cursor_op`).
public enum CursorOperation: Sendable, CustomStringConvertible {
    /// `MDB_FIRST`.
    case first
    /// `MDB_LAST`.
    case last
    /// `MDB_NEXT`.
    case next
    /// `MDB_PREV`.
    case previous
    /// `MDB_GET_CURRENT`.
    case current
    /// `MDB_SET_KEY`: exactly the key.
    case setKey
    /// `MDB_SET_RANGE`: the first key at or after the key.
    case setRange
    /// `MDB_NEXT_DUP`: the next value of the same key.
    case nextDuplicate
    /// `MDB_PREV_DUP`.
    case previousDuplicate
    /// `MDB_NEXT_NODUP`: the first value of the next key.
    case nextKey
    /// `MDB_PREV_NODUP`.
    case previousKey
    /// `MDB_FIRST_DUP`.
    case firstDuplicate
    /// `MDB_LAST_DUP`.
    case lastDuplicate
    /// `MDB_GET_BOTH`: exactly the key and value.
    case getBoth
    /// `MDB_GET_BOTH_RANGE`: the key, and the first value at or after the value.
    case getBothRange

    var cValue: MDB_cursor_op {
        switch self {
        case .first: MDB_FIRST
        case .last: MDB_LAST
        case .next: MDB_NEXT
        case .previous: MDB_PREV
        case .current: MDB_GET_CURRENT
        case .setKey: MDB_SET_KEY
        case .setRange: MDB_SET_RANGE
        case .nextDuplicate: MDB_NEXT_DUP
        case .previousDuplicate: MDB_PREV_DUP
        case .nextKey: MDB_NEXT_NODUP
        case .previousKey: MDB_PREV_NODUP
        case .firstDuplicate: MDB_FIRST_DUP
        case .lastDuplicate: MDB_LAST_DUP
        case .getBoth: MDB_GET_BOTH
        case .getBothRange: MDB_GET_BOTH_RANGE
        }
    }

    /// The C name of the move.
    public var description: String {
        switch self {
        case .first: "MDB_FIRST"
        case .last: "MDB_LAST"
        case .next: "MDB_NEXT"
        case .previous: "MDB_PREV"
        case .current: "MDB_GET_CURRENT"
        case .setKey: "MDB_SET_KEY"
        case .setRange: "MDB_SET_RANGE"
        case .nextDuplicate: "MDB_NEXT_DUP"
        case .previousDuplicate: "MDB_PREV_DUP"
        case .nextKey: "MDB_NEXT_NODUP"
        case .previousKey: "MDB_PREV_NODUP"
        case .firstDuplicate: "MDB_FIRST_DUP"
        case .lastDuplicate: "MDB_LAST_DUP"
        case .getBoth: "MDB_GET_BOTH"
        case .getBothRange: "MDB_GET_BOTH_RANGE"
        }
    }
}
