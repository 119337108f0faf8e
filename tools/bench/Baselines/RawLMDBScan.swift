import CLMDB

/// The outcome of reading a whole log once.
struct ScanRun: Sendable {
    /// The events (records) read.
    let events: Int
    /// The bytes of the values read (stored records or JSON lines).
    let bytes: Int
    /// The wall-clock time of the read, opening excluded.
    let seconds: Double

    /// Events read per second.
    var eventsPerSecond: Double { seconds > 0 ? Double(events) / seconds : 0 }
}

/// Walks every entry of the unnamed database in the LMDB environment in `directory` with one cursor, in one read
/// transaction, touching each value's bytes (summing their first and last bytes) but decoding nothing.
///
/// The lower bound for any scan of a log stored as one value per event: the informational baseline of
/// `read.scan`. Run it on an environment written by ``rawLMDBBatchAppend(events:batchSize:directory:)``.
/// - Parameter directory: A directory holding `data.mdb` and `lock.mdb`.
/// - Returns: The entries and value bytes read and the time the walk took.
/// - Throws: ``BenchError`` naming the `mdb_*` call that failed.
func rawLMDBScan(directory: String) throws -> ScanRun {
    var env: OpaquePointer?
    try checkMDB(mdb_env_create(&env), "mdb_env_create")
    guard let env else { throw BenchError(call: "mdb_env_create", code: 0, message: "no environment") }
    defer { mdb_env_close(env) }
    try checkMDB(mdb_env_set_mapsize(env, 8 << 30), "mdb_env_set_mapsize")
    try checkMDB(mdb_env_open(env, directory, UInt32(MDB_RDONLY), 0o644), "mdb_env_open(\(directory))")
    var txn: OpaquePointer?
    try checkMDB(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin")
    defer { mdb_txn_abort(txn) }
    var dbi: MDB_dbi = 0
    try checkMDB(mdb_dbi_open(txn, nil, 0, &dbi), "mdb_dbi_open")
    var cursor: OpaquePointer?
    try checkMDB(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
    defer { mdb_cursor_close(cursor) }

    let start = ContinuousClock.now
    var key = MDB_val()
    var value = MDB_val()
    var events = 0
    var bytes = 0
    var touched: UInt64 = 0
    var code = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
    while code == MDB_SUCCESS {
        events += 1
        bytes += value.mv_size
        if value.mv_size > 0, let data = value.mv_data?.assumingMemoryBound(to: UInt8.self) {
            touched &+= UInt64(data[0]) &+ UInt64(data[value.mv_size - 1])
        }
        code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
    }
    let seconds = elapsedSeconds(ContinuousClock.now - start)
    if code != MDB_NOTFOUND { try checkMDB(code, "mdb_cursor_get(MDB_NEXT)") }
    // Keep the touched bytes observable so the loop cannot be optimised away.
    if touched == .max { progress("raw LMDB scan: checksum \(touched)") }
    return ScanRun(events: events, bytes: bytes, seconds: seconds)
}

/// Throws a ``BenchError`` for `call` unless `code` is `MDB_SUCCESS`.
private func checkMDB(_ code: Int32, _ call: @autoclosure () -> String) throws {
    guard code != MDB_SUCCESS else { return }
    throw BenchError(call: call(), code: code, message: String(cString: mdb_strerror(code)))
}
