import CLMDB

#if canImport(Glibc)
    import Glibc
#endif

extension Environment {
    /// The names of the named databases, from the catalog (the keys of the unnamed main database).
    ///
    /// The corresponding C functions are `mdb_dbi_open` with no name, and a cursor over that database.
    public func databaseNames() throws(LMDBError) -> [String] {
        try typedLMDBErrors("reading the catalog") {
            try read { txn in
                var main = MDB_dbi()
                try check(mdb_dbi_open(txn.pointer, nil, 0, &main), "mdb_dbi_open(main)")
                let catalog = Database(handle: main, name: "(main)", flags: [])
                return try txn.withCursor(catalog) { cursor in
                    var names: [String] = []
                    var entry = try cursor.get(.first)
                    while let current = entry {
                        names.append(String(decoding: current.key, as: UTF8.self))
                        entry = try cursor.get(.next)
                    }
                    return names
                }
            }
        }
    }

    /// Copies the entries of the databases `names` into a new environment at `destination` (an existing, empty
    /// directory), record by record, as of one read transaction: the copy holds what was committed when it began.
    ///
    /// Unlike ``copy(to:compact:)``, which copies pages (and, compacted, reads LMDB's free-page lists to lay them
    /// out), this reads only the databases' own pages through cursors and writes each entry anew, in key order, in
    /// transactions of ``recordCopyBatch`` entries: slower, but it copies an environment whose free-page lists are
    /// damaged, which writers cannot use. Each database keeps its flags (key order). The copy is synced to disk; one
    /// that fails leaves no files in `destination`.
    /// - Parameter check: Called with the directory holding the whole, synced copy before it is moved into
    ///   `destination` (to open it and read what it holds); an error it throws fails the copy, which leaves nothing.
    /// - Returns: How many entries were copied.
    /// - Throws: ``LMDBError`` from either environment (`incompatible` for a database of sorted duplicates, which it
    ///   does not copy).
    public func copyRecords(
        of names: [String], to destination: String, checkingBeforePublishing check: CopyCheck? = nil
    ) throws(LMDBError) -> Int {
        let sources = try names.map { name throws(LMDBError) in
            try typedLMDBErrors("opening \(name)") { try openDatabase(name) }
        }
        var copied = 0
        try stagedCopy(into: destination, check: check) { staging throws(LMDBError) in
            try copy(sources, to: staging, copied: &copied)
        }
        return copied
    }

    /// A look at a finished copy before it is moved into its destination: given the directory that holds it.
    public typealias CopyCheck = (String) throws(LMDBError) -> Void

    /// Runs `write`, which writes a whole, synced environment into the directory it is given, in a directory of its
    /// own inside `destination` (``copyStagingName``), then moves the `data.mdb` it wrote into `destination`: a copy
    /// killed part way leaves no data.mdb there, so nothing mistakes half a copy (whose head may be intact, or which
    /// is empty and a writer would initialize) for a store. A copy that fails, or that `check` refuses, leaves no
    /// files behind.
    func stagedCopy(
        into destination: String, check: CopyCheck?, _ write: (String) throws(LMDBError) -> Void
    ) throws(LMDBError) {
        var staging = destination + "/" + Self.copyStagingName
        var renamed = false
        do throws(LMDBError) {
            // Created here or not at all: another copy into the same destination owns an existing one.
            guard mkdir(staging, 0o755) == 0 else {
                let code = LMDBError.Code(rawValue: errno)
                staging = ""
                throw LMDBError(code: code, operation: "mkdir(\(destination)/\(Self.copyStagingName))")
            }
            try write(staging)
            try check?(staging)
            // A hard link, not a rename: it fails rather than replace a data.mdb another copy put there meanwhile.
            guard link(staging + "/data.mdb", destination + "/data.mdb") == 0 else {
                throw LMDBError(code: .init(rawValue: errno), operation: "link(\(staging)/data.mdb)")
            }
            renamed = true
            unlink(staging + "/data.mdb")
            unlink(staging + "/lock.mdb")
            rmdir(staging)
            // The new file's directory entry too.
            try syncToDisk(destination, directory: true, of: destination)
        } catch {
            // A copy that failed part way leaves no files behind (none of another copy's, whose staging this was not).
            if !staging.isEmpty {
                for file in ["data.mdb", "lock.mdb"] { unlink(staging + "/" + file) }
                rmdir(staging)
                if renamed { unlink(destination + "/data.mdb") }
            }
            throw error
        }
    }

    /// The directory inside the destination that ``copyRecords(of:to:)`` and ``copy(to:compact:)`` write the copy in
    /// before moving it out.
    public static let copyStagingName = ".annals-copy-in-progress"

    /// Copies `sources` into a new environment at `directory`, synced once at the end (the batches need not be
    /// durable one by one); the environment is closed when this returns.
    private func copy(_ sources: [Database], to directory: String, copied: inout Int) throws(LMDBError) {
        let target = try Environment(
            path: directory,
            options: EnvironmentOptions(
                mapSize: max(info().usedBytes * 2, 64 << 20), maxDatabases: UInt32(sources.count + 8),
                durability: .noSync))
        var count = 0
        try typedLMDBErrors("copying records") {
            try read { txn in
                for source in sources { count += try Self.copyDatabase(source, in: txn, into: target) }
            }
        }
        try target.sync()
        copied = count
    }

    /// Entries copied per write transaction of ``copyRecords(of:to:)``.
    public static let recordCopyBatch = 50_000

    /// Creates `source`'s database in `target` with its flags (so its keys keep their order) and copies its entries.
    private static func copyDatabase(_ source: Database, in txn: borrowing Transaction, into target: Environment)
        throws -> Int
    {
        var flags: UInt32 = 0
        try check(mdb_dbi_flags(txn.pointer, source.handle, &flags), "mdb_dbi_flags(\(source.name))")
        let kept = DatabaseFlags(rawValue: flags).subtracting(.create)
        guard !kept.contains(.duplicateSort) else {
            throw LMDBError(
                code: .incompatible, operation: "copyRecords(\(source.name))",
                detail: "a database of sorted duplicates is not copied record by record")
        }
        let copy = try target.openDatabase(source.name, flags: kept.union(.create))
        return try copyEntries(of: source, in: txn, to: copy, of: target)
    }

    /// Copies every entry of `source` (read in `txn`) into `copy` of `target`, in batches that each seek past the
    /// last key copied: a batch that fills the map runs again from its start after the map grows.
    private static func copyEntries(
        of source: Database, in txn: borrowing Transaction, to copy: Database, of target: Environment
    ) throws -> Int {
        var copied = 0
        var after: [UInt8]?
        while true {
            let (count, last) = try target.write { out -> (Int, [UInt8]?) in
                try txn.withCursor(source) { cursor in
                    var entry = try after.map { try cursor.seek(.setRange, to: $0) } ?? cursor.get(.first)
                    if let key = after, let current = entry, current.key.elementsEqual(key) {
                        entry = try cursor.get(.next)
                    }
                    var count = 0
                    var last: [UInt8]?
                    while let current = entry, count < recordCopyBatch {
                        try out.put(copy, key: current.key, value: current.value, flags: .append)
                        count += 1
                        if count == recordCopyBatch { last = Array(current.key) }
                        entry = try cursor.get(.next)
                    }
                    return (count, entry == nil ? nil : last)
                }
            }
            copied += count
            guard let last else { return copied }
            after = last
        }
    }
}
