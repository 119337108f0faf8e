import CSQLite

/// Appends all `events` to a fresh SQLite database, `batchSize` per `BEGIN`/`COMMIT`.
///
/// The database is `events.sqlite` in `directory`, in WAL mode with `synchronous=FULL` (each commit syncs the WAL),
/// with the table `events(offset INTEGER PRIMARY KEY, type TEXT, actor TEXT, target TEXT, grp TEXT, body BLOB)`
/// and indexes on `type` and on `target`, filled through one prepared `INSERT`. Automatic WAL checkpoints that
/// happen during the run are part of the measured time; the final checkpoint is not.
/// - Parameters:
///   - events: The events to append, in order; `body` is the uncompressed `jsonLine`.
///   - batchSize: The number of events per transaction.
///   - directory: An existing directory for the database and its WAL.
/// - Returns: The timing of the inserts and `page_count * page_size` after a truncating checkpoint.
/// - Throws: ``BenchError`` naming the `sqlite3_*` call (and statement) that failed.
func sqliteBatchAppend(events: [WorkloadEvent], batchSize: Int, directory: String) throws -> BaselineRun {
    precondition(batchSize > 0, "batchSize must be positive")
    let database = try SQLiteDatabase(path: directory + "/events.sqlite")
    defer { database.close() }
    try database.execute("PRAGMA journal_mode=WAL")
    try database.execute("PRAGMA synchronous=FULL")
    try database.execute(
        "CREATE TABLE events(offset INTEGER PRIMARY KEY, type TEXT, actor TEXT, target TEXT, grp TEXT, body BLOB)")
    try database.execute("CREATE INDEX events_type ON events(type)")
    try database.execute("CREATE INDEX events_target ON events(target)")
    let insert = try database.prepare("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)")
    defer { sqlite3_finalize(insert) }

    let clock = ContinuousClock()
    let start = clock.now
    var offset = 0
    while offset < events.count {
        let end = min(offset + batchSize, events.count)
        try database.execute("BEGIN")
        do {
            for index in offset..<end { try database.insert(events[index], offset: index, with: insert) }
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
        offset = end
    }
    let elapsed = elapsedSeconds(clock.now - start)

    try database.check(
        sqlite3_wal_checkpoint_v2(database.handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil), "wal_checkpoint")
    let stored = try database.integer("PRAGMA page_count") * database.integer("PRAGMA page_size")
    return BaselineRun(events: events.count, seconds: elapsed, storedBytes: stored)
}

/// A SQLite connection opened straight through the C API.
private struct SQLiteDatabase {
    /// Tells SQLite to copy bound text before `sqlite3_bind_text` returns.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The `sqlite3 *`.
    let handle: OpaquePointer

    /// Opens (creating if needed) the database file at `path`.
    init(path: String) throws {
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(handle)
            throw BenchError(call: "sqlite3_open_v2(\(path))", code: code, message: message)
        }
        self.handle = handle
    }

    /// Closes the connection; statements must be finalized first.
    func close() { sqlite3_close_v2(handle) }

    /// Runs `sql`, ignoring any rows it returns.
    func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), "sqlite3_exec(\(sql))")
    }

    /// Compiles `sql` into a statement the caller must finalize.
    func prepare(_ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &statement, nil), "sqlite3_prepare_v2(\(sql))")
        guard let statement else { throw BenchError(call: "sqlite3_prepare_v2(\(sql))", code: 0, message: "empty") }
        return statement
    }

    /// The first column of the first row `sql` returns, as an integer.
    func integer(_ sql: String) throws -> Int {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        let code = sqlite3_step(statement)
        guard code == SQLITE_ROW else {
            try check(code == SQLITE_DONE ? SQLITE_ERROR : code, "sqlite3_step(\(sql)): no row")
            return 0
        }
        return Int(sqlite3_column_int64(statement, 0))
    }

    /// Binds `event` at `offset` to the prepared `INSERT` and steps it.
    func insert(_ event: WorkloadEvent, offset: Int, with statement: OpaquePointer) throws {
        try check(sqlite3_bind_int64(statement, 1, sqlite3_int64(offset)), "sqlite3_bind_int64(offset)")
        for (column, text) in [event.type, event.actorId, event.targetId, event.groupId].enumerated() {
            try check(sqlite3_bind_text(statement, Int32(column + 2), text, -1, Self.transient), "sqlite3_bind_text")
        }
        let code = event.jsonLine.withUnsafeBytes { body in
            // The body stays valid while the statement steps, so SQLite need not copy it (SQLITE_STATIC).
            let bound = sqlite3_bind_blob(statement, 6, body.baseAddress, Int32(body.count), nil)
            return bound == SQLITE_OK ? sqlite3_step(statement) : bound
        }
        sqlite3_reset(statement)
        if code != SQLITE_DONE { try check(code, "sqlite3_step(INSERT offset \(offset))") }
    }

    /// Throws a ``BenchError`` for `call` unless `code` is `SQLITE_OK`.
    func check(_ code: Int32, _ call: @autoclosure () -> String) throws {
        guard code != SQLITE_OK else { return }
        throw BenchError(call: call(), code: code, message: String(cString: sqlite3_errmsg(handle)))
    }
}
