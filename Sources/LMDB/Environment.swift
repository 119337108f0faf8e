import CLMDB

#if canImport(Glibc)
    import Glibc
#endif

/// An open LMDB environment: one data file and its lock file in a directory.
///
/// Transactions are closure-scoped: ``read(_:)`` and ``write(_:)``. A thrown error aborts the transaction;
/// there is no `commit()` to forget. Data returned by LMDB is valid only inside the closure.
///
/// The environment is opened with `MDB_NOTLS`, so a read transaction is not tied to a thread's slot and may be
/// used from any thread (but by one at a time). Write transactions still belong to the thread that began them:
/// call ``write(_:)`` from one dedicated thread, and never suspend inside it.
///
/// The map grows automatically: when a write fails with `MDB_MAP_FULL`, the transaction is aborted, the map is
/// grown, and the closure runs again from the start in a fresh transaction. Nothing of the failed attempt is
/// kept. When another process has grown the map, the next transaction adopts the new size.
///
/// > Note: LMDB forbids opening the same environment twice in one process. Share one `Environment`.
public final class Environment: @unchecked Sendable {
    /// The underlying `MDB_env`.
    public let pointer: OpaquePointer
    /// The directory holding `data.mdb` and `lock.mdb`.
    public let path: String
    /// The options it was opened with.
    public let options: EnvironmentOptions

    /// Guards resizing: transactions hold it shared, `mdb_env_set_mapsize` needs it exclusive.
    private let resizeLock: ReadWriteLock
    private let databasesLock = Mutex()
    private var databases: [String: Database] = [:]
    /// The directory's identity in ``OpenEnvironments``, released when the environment closes.
    private let openIdentity: OpenEnvironments.Identity?
    /// Set by ``close()`` (guarded by `resizeLock`, taken exclusively to set it).
    private var isClosed = false
    /// ``info()`` as of the close.
    private var closedInfo: EnvironmentInfo?

    /// Opens (creating if needed) the environment in the directory `path`.
    ///
    /// Stale reader slots left by dead processes are cleared at open (`mdb_reader_check`).
    /// - Parameters:
    ///   - path: An existing directory.
    ///   - options: Map size, readers, databases and durability.
    /// - Throws: ``LMDBError`` naming `mdb_env_set_maxreaders` (`invalidArgument`) for a ``EnvironmentOptions/maxReaders``
    ///   out of its range; naming `mdb_env_open` when the directory is missing, locked or not an LMDB store, or
    ///   already open in this process (``LMDBError/Code/alreadyOpenInProcess``); naming `fallocate` when the
    ///   file system has no room for the lock file's blocks (``LockFileReservation``), where LMDB would die of SIGBUS;
    ///   a lock file the open would have created is then not left behind. Nor is one left by any other failed open
    ///   (a data file that is not LMDB's, damaged pages), unless another process has the environment open by then.
    ///
    /// The corresponding C functions are `mdb_env_create` and `mdb_env_open`.
    public init(path: String, options: EnvironmentOptions = .init()) throws(LMDBError) {
        guard (1...EnvironmentOptions.maximumReaderSlots).contains(options.maxReaders) else {
            throw LMDBError(
                code: .invalidArgument, operation: "mdb_env_set_maxreaders",
                detail: "maxReaders must be from 1 to \(EnvironmentOptions.maximumReaderSlots), got "
                    + "\(options.maxReaders)")
        }
        resizeLock = try ReadWriteLock()
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: .outOfMemory, operation: "mdb_env_create") }
        // An open that fails (a data file that is not LMDB's, damaged pages) removes the lock file it created, unless
        // another process has the environment open by then: a failed read leaves the directory as it found it.
        let lockFileWasMissing = access(path + "/lock.mdb", F_OK) != 0
        func removeCreatedLockFile() {
            if lockFileWasMissing { _ = Self.removeUnusedFiles(["lock.mdb"], in: path) }
        }
        do {
            try check(mdb_env_set_maxreaders(env, options.maxReaders), "mdb_env_set_maxreaders")
            try check(mdb_env_set_maxdbs(env, MDB_dbi(options.maxDatabases)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_mapsize(env, options.mapSize), "mdb_env_set_mapsize")
            var flags = UInt32(MDB_NOTLS) | options.durability.environmentFlags
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            openIdentity = try OpenEnvironments.opening(path) { () throws(LMDBError) in
                // Only once this process is known not to have the environment open: LMDB's locks on `lock.mdb` are
                // POSIX record locks, which belong to the process, and closing any descriptor of the file (as the
                // reservation does) drops them all, so a refused second open used to take them from the open one.
                try Self.checkMetaPages(path)
                try LockFileReservation.reserve(
                    directory: path, maxReaders: options.maxReaders, fileMode: options.fileMode)
                let rc = mdb_env_open(env, path, flags, mdb_mode_t(options.fileMode))
                // The map is reserved in the address space at open: a size beyond it fails with ENOMEM.
                if rc == ENOMEM {
                    throw LMDBError(
                        code: .outOfMemory, operation: "mdb_env_open(\(path))",
                        detail: "cannot map \(options.mapSize) bytes (EnvironmentOptions.mapSize, which "
                            + "StoreOptions.initialMapSize sets) into this process's address space; give a smaller "
                            + "map size")
                }
                if rc != MDB_SUCCESS, let file = Self.fileRefusing(rc, in: path, readOnly: options.readOnly) {
                    throw LMDBError(code: .init(rawValue: rc), operation: "mdb_env_open(\(path))", detail: file)
                }
                try check(rc, "mdb_env_open(\(path))")
            }
        } catch {
            mdb_env_close(env)
            removeCreatedLockFile()
            throw error
        }
        do {
            try Self.checkCatalog(env, path, freeList: !options.readOnly)
        } catch {
            mdb_env_close(env)
            if let openIdentity { OpenEnvironments.released(openIdentity) }
            removeCreatedLockFile()
            throw error
        }
        self.pointer = env
        self.path = path
        self.options = options
        _ = try? checkStaleReaders()
    }

    deinit {
        guard !isClosed else { return }
        mdb_env_close(pointer)
        if let openIdentity { OpenEnvironments.released(openIdentity) }
    }

    /// Closes the environment now: waits for this process's transactions on it to end, then closes it, releasing
    /// its files and locks, so that it may be opened again at once. Later transactions and calls throw
    /// ``LMDBError/Code/environmentClosed``; closing again does nothing.
    ///
    /// Called from inside one of its transactions it cannot wait for itself: it returns `false` and the environment
    /// closes when it is released, as it does without a call.
    ///
    /// The corresponding C function is `mdb_env_close`.
    @discardableResult
    public func close() -> Bool {
        guard !hasTransactionOnCallingThread else { return false }
        resizeLock.lock()
        defer { resizeLock.unlock() }
        guard !isClosed else { return true }
        closedInfo = unguardedInfo()
        isClosed = true
        mdb_env_close(pointer)
        if let openIdentity { OpenEnvironments.released(openIdentity) }
        return true
    }

    /// Whether the calling thread is inside a transaction of this environment (where ``close()`` cannot wait).
    public var hasTransactionOnCallingThread: Bool { resizeLock.sharedDepth > 0 }

    /// Throws ``LMDBError/Code/environmentClosed`` for `operation` once ``close()`` has run. Called with
    /// `resizeLock` held, shared or exclusive.
    private func requireOpen(_ operation: @autoclosure () -> String) throws(LMDBError) {
        guard isClosed else { return }
        throw LMDBError(code: .environmentClosed, operation: operation())
    }

    /// Refuses a data file whose meta pages LMDB would follow into a fault (``MetaPages``): a damaged page size,
    /// last page or root, or a file shorter than the pages in use (a copy cut short, a truncated file). A writer in
    /// another process may be rewriting a meta page as it is read, so a problem is read three times before it counts.
    private static func checkMetaPages(_ path: String) throws(LMDBError) {
        var problem = MetaPages.problem(inEnvironmentAt: path)
        for _ in 0..<2 where problem != nil {
            usleep(2_000)
            problem = MetaPages.problem(inEnvironmentAt: path)
        }
        switch problem {
        case nil:
            return
        case .truncated(let size, let needed):
            throw LMDBError(
                code: .truncatedFile, operation: "mdb_env_open(\(path))",
                detail: "data.mdb is \(size) bytes, but its last committed transaction uses \(needed); restore the "
                    + "store from a backup")
        case .damaged(let detail):
            throw LMDBError(code: .corrupted, operation: "mdb_env_open(\(path))", detail: detail)
        }
    }

    /// Refuses a data file whose catalog of named databases is damaged: opening any of them would follow it. Also
    /// refuses one where neither meta page carries the transaction id LMDB reads from the lock file. With `freeList`
    /// (a writable open), also one whose free-page database is damaged: writers take pages from it, and a damaged list
    /// would make them overwrite pages in use or abort.
    private static func checkCatalog(_ env: OpaquePointer, _ path: String, freeList: Bool) throws(LMDBError) {
        for attempt in 0..<3 {
            guard let problems = try checkStructureAtOpen(env, names: [], freeList: freeList) else {
                if attempt < 2 { usleep(2_000) }
                continue
            }
            guard let summary = StructureProblem.summary(of: problems) else { return }
            let freeListAdvice =
                problems.first?.database == PageStructureWalk.freeDatabaseName
                ? "; a read-only open still reads the environment, and a record-by-record copy "
                    + "(Environment.copyRecords(of:to:), `annals backup --rewrite`) makes a sound one to write to" : ""
            throw LMDBError(code: .corrupted, operation: "mdb_env_open(\(path))", detail: summary + freeListAdvice)
        }
        throw LMDBError(
            code: .corrupted, operation: "mdb_env_open(\(path))",
            detail: "neither meta page carries the transaction id that readers start from")
    }

    /// Runs `body` in a read-only transaction and returns its result.
    ///
    /// The transaction sees a consistent snapshot as of its start. Keep it short: an open read transaction pins
    /// pages and makes the file grow.
    /// - Throws: ``LMDBError`` (for example `readersFull`), or whatever `body` throws.
    ///
    /// The corresponding C functions are `mdb_txn_begin(MDB_RDONLY)` and `mdb_txn_abort`.
    public func read<R>(_ body: (borrowing Transaction) throws -> R) throws -> R {
        resizeLock.lockShared()
        defer { resizeLock.unlockShared() }
        let txn = try beginAdoptingResize(readOnly: true)
        return try body(txn)
    }

    /// Runs `body` in a write transaction and commits it if `body` returns; aborts it if `body` throws.
    ///
    /// On `MDB_MAP_FULL` (from a put or the commit) the map is grown and `body` runs again in a fresh transaction,
    /// so `body` must derive everything it writes from the transaction it is given. Only one write transaction
    /// exists at a time across all processes: this call waits for the writer lock.
    /// - Throws: ``LMDBError`` (`mapFull` once ``EnvironmentOptions/maxMapSize`` is reached, `noSpace`, …), or
    ///   whatever `body` throws. Nothing is written when it throws.
    ///
    /// The corresponding C functions are `mdb_txn_begin` and `mdb_txn_commit`.
    public func write<R>(_ body: (borrowing Transaction) throws -> R) throws -> R {
        precondition(!options.readOnly, "write transaction on a read-only environment")
        while true {
            if let result = try attemptWrite(body) { return result }
            try grow()
        }
    }

    /// One attempt at a write transaction; `nil` when it hit `MDB_MAP_FULL` and was aborted.
    private func attemptWrite<R>(_ body: (borrowing Transaction) throws -> R) throws -> R? {
        resizeLock.lockShared()
        defer { resizeLock.unlockShared() }
        return try runAndCommit(try beginAdoptingResize(readOnly: false), body)
    }

    /// Consumes `txn`: it is committed or aborted before this returns, so no transaction outlives the lock.
    private func runAndCommit<R>(
        _ txn: consuming Transaction, _ body: (borrowing Transaction) throws -> R
    ) throws -> R? {
        let outcome: Result<R, any Error>
        do {
            outcome = .success(try body(txn))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .failure(let error):
            txn.abort()
            if let lmdb = error as? LMDBError, lmdb.code == .mapFull { return nil }
            throw error
        case .success(let result):
            // `mdb_txn_commit` frees the transaction even when it fails.
            let committed = txn.commitResult()
            if committed == .mapFull { return nil }
            if let committed {
                throw LMDBError(code: committed, operation: "mdb_txn_commit", detail: storageDetail(for: committed))
            }
            return result
        }
    }

    private func beginAdoptingResize(readOnly: Bool) throws(LMDBError) -> Transaction {
        try requireOpen(readOnly ? "mdb_txn_begin(read)" : "mdb_txn_begin(write)")
        do {
            return try Transaction(environment: self, readOnly: readOnly)
        } catch let error where error.code == .mapResized {
            // Another process grew the map: adopt its size (`mdb_env_set_mapsize(env, 0)`).
            // This needs no transaction open in this process; we hold the lock shared, so upgrade by retrying.
            // A thread that holds other transactions open cannot wait for the exclusive lock: it would wait on itself.
            guard resizeLock.sharedDepth == 1 else { throw error }
            // The lock is let go in between: a close() may run then, so whether it did is checked under each hold.
            resizeLock.unlockShared()
            resizeLock.lock()
            let rc = isClosed ? MDB_SUCCESS : mdb_env_set_mapsize(pointer, 0)
            resizeLock.unlock()
            resizeLock.lockShared()
            try requireOpen(readOnly ? "mdb_txn_begin(read)" : "mdb_txn_begin(write)")
            try check(rc, "mdb_env_set_mapsize(adopt)")
            return try Transaction(environment: self, readOnly: readOnly)
        }
    }

    /// Grows the map by doubling (at least 64 MiB, at most 4 GiB at a time) up to ``EnvironmentOptions/maxMapSize``.
    private func grow() throws(LMDBError) {
        resizeLock.lock()
        defer { resizeLock.unlock() }
        try requireOpen("mdb_env_set_mapsize")
        let current = unguardedInfo().mapSize
        guard current < options.maxMapSize else {
            throw LMDBError(code: .mapFull, operation: "mdb_env_set_mapsize(max \(options.maxMapSize) bytes reached)")
        }
        let target = Self.grown(current, limit: options.maxMapSize)
        try check(mdb_env_set_mapsize(pointer, target), "mdb_env_set_mapsize(\(target))")
    }

    /// The map size one growth step after `size`: doubled, by at least 64 MiB and at most 4 GiB, within `limit`.
    private static func grown(_ size: Int, limit: Int) -> Int {
        min(limit, size + min(max(size, 64 << 20), 4 << 30))
    }

    /// Grows the map ahead of a large write, so that `bytes` more fit past the pages in use, rather than letting the
    /// write fail with `MDB_MAP_FULL` partway and run again from the start. It grows in the steps an automatic
    /// growth takes, and never past ``EnvironmentOptions/maxMapSize``. Pages on LMDB's free list are not counted,
    /// so the map may grow somewhat earlier than it had to: it is address space, and the file grows only as pages
    /// are written.
    ///
    /// It waits until no transaction of this process is open. Called from a thread that has one open (it would wait
    /// on itself), or on a read-only environment, it does nothing: the write then grows the map when it fills it.
    /// - Throws: ``LMDBError`` from `mdb_env_set_mapsize`.
    ///
    /// The corresponding C function is `mdb_env_set_mapsize`.
    public func reserve(_ bytes: Int) throws(LMDBError) {
        guard !options.readOnly, resizeLock.sharedDepth == 0 else { return }
        resizeLock.lock()
        defer { resizeLock.unlock() }
        guard !isClosed else { return }
        let info = unguardedInfo()
        let needed = info.usedBytes + max(bytes, 0)
        var target = info.mapSize
        while target < needed && target < options.maxMapSize { target = Self.grown(target, limit: options.maxMapSize) }
        guard target > info.mapSize else { return }
        try check(mdb_env_set_mapsize(pointer, target), "mdb_env_set_mapsize(\(target))")
    }

    /// Opens (or, with `.create`, creates) the named database and caches its handle.
    ///
    /// Call this once per name, early; the handle is then valid for the environment's life.
    /// - Throws: ``LMDBError`` `notFound` when it does not exist and `.create` was not given, `databasesFull`
    ///   past ``EnvironmentOptions/maxDatabases``.
    ///
    /// The corresponding C function is `mdb_dbi_open`.
    public func openDatabase(_ name: String, flags: DatabaseFlags = []) throws -> Database {
        databasesLock.lock()
        defer { databasesLock.unlock() }
        if let existing = databases[name] { return existing }
        let open: (borrowing Transaction) throws -> Database = { txn in
            var dbi = MDB_dbi()
            try check(mdb_dbi_open(txn.pointer, name, flags.rawValue, &dbi), "mdb_dbi_open(\(name))")
            return Database(handle: dbi, name: name, flags: flags.subtracting(.create))
        }
        let database: Database
        if flags.contains(.create) && !options.readOnly {
            database = try write(open)
        } else {
            // A handle opened in a read-only transaction survives only if that transaction commits.
            resizeLock.lockShared()
            defer { resizeLock.unlockShared() }
            let txn = try beginAdoptingResize(readOnly: true)
            database = try open(txn)
            if let code = txn.commitResult() { throw LMDBError(code: code, operation: "mdb_txn_commit(read)") }
        }
        databases[name] = database
        return database
    }

    /// Flushes the data buffers to disk (`mdb_env_sync` with `force`).
    ///
    /// Needed only with ``Durability/noSync`` or ``Durability/noMetaSync``. Safe to call while another thread
    /// writes.
    public func sync() throws(LMDBError) {
        resizeLock.lockShared()
        defer { resizeLock.unlockShared() }
        try requireOpen("mdb_env_sync")
        let rc = mdb_env_sync(pointer, 1)
        guard rc != MDB_SUCCESS else { return }
        let code = LMDBError.Code(rawValue: rc)
        throw LMDBError(code: code, operation: "mdb_env_sync", detail: storageDetail(for: code))
    }

    /// For a failure that a full disk, quota or file size limit may cause, what the file system says about them.
    private func storageDetail(for code: LMDBError.Code) -> String? {
        StorageDiagnosis.detail(for: code, directory: path)
    }

    /// Clears reader slots left by processes that died, and returns how many were cleared.
    ///
    /// The corresponding C function is `mdb_reader_check`.
    @discardableResult
    public func checkStaleReaders() throws(LMDBError) -> Int {
        resizeLock.lockShared()
        defer { resizeLock.unlockShared() }
        try requireOpen("mdb_reader_check")
        var dead: Int32 = 0
        try check(mdb_reader_check(pointer, &dead), "mdb_reader_check")
        return Int(dead)
    }

    /// Facts about the environment (`mdb_env_info`); once closed, as they were at the close.
    public func info() -> EnvironmentInfo {
        // mdb_env_info reads the meta pages inside the map: keep a resize from unmapping it meanwhile.
        resizeLock.lockShared()
        defer { resizeLock.unlockShared() }
        if let closedInfo { return closedInfo }
        return unguardedInfo()
    }

    private func unguardedInfo() -> EnvironmentInfo {
        var raw = MDB_envinfo()
        mdb_env_info(pointer, &raw)
        var stat = MDB_stat()
        mdb_env_stat(pointer, &stat)
        return EnvironmentInfo(
            mapSize: raw.me_mapsize, lastPageNumber: raw.me_last_pgno, lastTransactionID: raw.me_last_txnid,
            maxReaders: Int(raw.me_maxreaders), readersInUse: Int(raw.me_numreaders), pageSize: Int(stat.ms_psize))
    }

    /// Copies the environment to the existing empty directory `destination`, consistently, while writers run.
    ///
    /// With `compact`, free pages are omitted and pages renumbered (`MDB_CP_COMPACT`). The copy is durable when
    /// this returns: its file and directory are synced. It is written in a directory of its own inside `destination`
    /// (``copyStagingName``) and moved there only when whole, so a copy that fails, or a process killed while
    /// copying, leaves no `data.mdb` in `destination` and a partial file is never mistaken for a backup; for a full
    /// disk, quota or file size limit the error's ``LMDBError/detail`` names the space left at the destination.
    ///
    /// `check`, when given, is called with the directory holding the whole, synced copy before it is moved (to open it
    /// and read what it holds); an error it throws fails the copy, which then leaves nothing.
    ///
    /// The corresponding C function is `mdb_env_copy2`.
    public func copy(
        to destination: String, compact: Bool, checkingBeforePublishing check: CopyCheck? = nil
    ) throws(LMDBError) {
        // Written in a directory of its own inside `destination` and moved there once whole and synced.
        try stagedCopy(into: destination, check: check) { staging throws(LMDBError) in
            let rc: Int32
            do {
                // mdb_env_copy2 runs its own read transaction over the map: hold the resize lock as any transaction
                // does, and first adopt a size another process may have grown the map to.
                resizeLock.lockShared()
                defer { resizeLock.unlockShared() }
                let probe = try beginAdoptingResize(readOnly: true)
                probe.abort()
                rc = mdb_env_copy2(pointer, staging, compact ? UInt32(MDB_CP_COMPACT) : 0)
            }
            guard rc == MDB_SUCCESS else {
                let code = LMDBError.Code(rawValue: rc)
                throw LMDBError(
                    code: code, operation: "mdb_env_copy2(\(destination))",
                    detail: StorageDiagnosis.detail(for: code, directory: destination))
            }
            try syncToDisk(staging + "/data.mdb", directory: false, of: destination)
        }
    }

    /// `fsync` of the file or directory at `path`, part of the environment copy in `copyDirectory`.
    func syncToDisk(_ path: String, directory: Bool, of copyDirectory: String) throws(LMDBError) {
        let descriptor = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
        guard descriptor >= 0 else { throw LMDBError(code: .init(rawValue: errno), operation: "open(\(path))") }
        defer { Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else {
            let code = LMDBError.Code(rawValue: errno)
            throw LMDBError(
                code: code, operation: "fsync(\(path))",
                detail: StorageDiagnosis.detail(for: code, directory: copyDirectory))
        }
    }
}

/// Facts about an environment, from `mdb_env_info` and `mdb_env_stat`.
public struct EnvironmentInfo: Sendable, Equatable {
    /// The current map size in bytes.
    public var mapSize: Int
    /// The number of the last page used; `(lastPageNumber + 1) * pageSize` bytes are in use.
    public var lastPageNumber: Int
    /// The id of the last committed transaction.
    public var lastTransactionID: Int
    /// The size of the reader table.
    public var maxReaders: Int
    /// The high-water mark of the reader table (`me_numreaders`): slots used so far, live or free for reuse.
    public var readersInUse: Int
    /// The page size in bytes.
    public var pageSize: Int

    /// Bytes of the data file in use.
    public var usedBytes: Int { (lastPageNumber + 1) * pageSize }
}
