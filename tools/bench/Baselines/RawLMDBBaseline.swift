import CLMDB

/// The outcome of one baseline measurement.
struct BaselineRun: Sendable {
    /// The number of events appended.
    let events: Int
    /// The wall-clock time the appends took, commits included, setup and teardown excluded.
    let seconds: Double
    /// The bytes the store occupies after the run.
    let storedBytes: Int

    /// Appended events per second.
    var eventsPerSecond: Double { seconds > 0 ? Double(events) / seconds : 0 }
    /// Stored bytes per appended event.
    var bytesPerEvent: Double { events > 0 ? Double(storedBytes) / Double(events) : 0 }
}

/// Appends all `events` to a fresh LMDB environment, `batchSize` per durable (synced) write transaction.
///
/// The key is the event's offset (0, 1, 2, …) as 8 big-endian bytes, the value its uncompressed `jsonLine`,
/// written with `MDB_APPEND` to the unnamed database. The environment uses LMDB's default, fully synced flags.
/// - Parameters:
///   - events: The events to append, in order.
///   - batchSize: The number of events per transaction.
///   - directory: An existing, empty directory for `data.mdb` and `lock.mdb`.
/// - Returns: The timing of the appends and the size of the used map, `(me_last_pgno + 1) * pagesize`.
/// - Throws: ``BenchError`` naming the `mdb_*` call that failed.
func rawLMDBBatchAppend(events: [WorkloadEvent], batchSize: Int, directory: String) throws -> BaselineRun {
    precondition(batchSize > 0, "batchSize must be positive")
    return try RawLMDBStore.withStore(directory: directory) { store in
        let clock = ContinuousClock()
        let start = clock.now
        var offset = 0
        while offset < events.count {
            let end = min(offset + batchSize, events.count)
            try store.appendTransaction(events[offset..<end], firstOffset: UInt64(offset))
            offset = end
        }
        return BaselineRun(
            events: events.count, seconds: elapsedSeconds(clock.now - start),
            storedBytes: try store.usedBytes())
    }
}

/// Appends each of `events` in its own durable (synced) write transaction to a fresh LMDB environment.
///
/// The same layout as ``rawLMDBBatchAppend(events:batchSize:directory:)`` with a batch size of one: the cost of
/// one `fdatasync`-backed commit per event.
/// - Parameters:
///   - events: The events to append, in order; keep this small (a few thousand), each commit waits for the disk.
///   - directory: An existing, empty directory for `data.mdb` and `lock.mdb`.
/// - Returns: The timing of the appends and the size of the used map.
/// - Throws: ``BenchError`` naming the `mdb_*` call that failed.
func rawLMDBSingleEventCommits(events: [WorkloadEvent], directory: String) throws -> BaselineRun {
    try rawLMDBBatchAppend(events: events, batchSize: 1, directory: directory)
}

/// `duration` in seconds, as a `Double`.
func elapsedSeconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) / 1e18
}

/// An LMDB environment opened straight through the C API, with its unnamed database.
private struct RawLMDBStore {
    /// The 8 GiB map: far more than any benchmark run writes.
    static let mapSize = 8 << 30

    /// The `MDB_env *`.
    let env: OpaquePointer
    /// The unnamed database's handle.
    let dbi: MDB_dbi

    /// Opens an environment in `directory`, runs `body`, and closes the environment whatever happens.
    static func withStore<R>(directory: String, _ body: (RawLMDBStore) throws -> R) throws -> R {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw BenchError(call: "mdb_env_create", code: 0, message: "no environment") }
        defer { mdb_env_close(env) }
        try check(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize")
        try check(mdb_env_open(env, directory, 0, 0o644), "mdb_env_open(\(directory))")
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin")
        var dbi: MDB_dbi = 0
        do {
            try check(mdb_dbi_open(txn, nil, 0, &dbi), "mdb_dbi_open")
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        try check(mdb_txn_commit(txn), "mdb_txn_commit")
        return try body(RawLMDBStore(env: env, dbi: dbi))
    }

    /// Appends `events` under consecutive offsets from `firstOffset` in one write transaction and commits it.
    func appendTransaction(_ events: ArraySlice<WorkloadEvent>, firstOffset: UInt64) throws {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin")
        do {
            var offset = firstOffset
            for event in events {
                var keyBytes = offset.bigEndian
                try withUnsafeMutableBytes(of: &keyBytes) { keyBuffer in
                    var key = MDB_val(mv_size: 8, mv_data: keyBuffer.baseAddress)
                    try event.jsonLine.withUnsafeBytes { line in
                        let data = UnsafeMutableRawPointer(mutating: line.baseAddress)
                        var value = MDB_val(mv_size: line.count, mv_data: data)
                        try check(mdb_put(txn, dbi, &key, &value, UInt32(MDB_APPEND)), "mdb_put(offset \(offset))")
                    }
                }
                offset += 1
            }
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        try check(mdb_txn_commit(txn), "mdb_txn_commit")
    }

    /// The bytes of the map in use: `(me_last_pgno + 1) * ms_psize`.
    func usedBytes() throws -> Int {
        var info = MDB_envinfo()
        try check(mdb_env_info(env, &info), "mdb_env_info")
        var stat = MDB_stat()
        try check(mdb_env_stat(env, &stat), "mdb_env_stat")
        return (info.me_last_pgno + 1) * Int(stat.ms_psize)
    }
}

/// Throws a ``BenchError`` for `call` unless `code` is `MDB_SUCCESS`.
private func check(_ code: Int32, _ call: @autoclosure () -> String) throws {
    guard code != MDB_SUCCESS else { return }
    throw BenchError(call: call(), code: code, message: String(cString: mdb_strerror(code)))
}
