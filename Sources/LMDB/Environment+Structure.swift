import CLMDB

#if canImport(Glibc)
    import Glibc
#endif

extension Environment {
    /// Checks the page structure of the catalog of named databases and of the databases named `names` (every
    /// named database when `nil`), as of one read transaction, without trusting any of it (``PageStructureWalk``):
    /// page numbers, node offsets and sizes, flags, depths, key order and the databases' page and entry counts.
    ///
    /// LMDB keeps no checksums and follows its pages as they are, so a damaged page can make it read outside the
    /// map and kill the process; run this before reading a store that may be damaged. Writers may continue: the
    /// read transaction keeps the snapshot's pages from being reused while they are checked.
    /// - Parameters:
    ///   - names: The databases to walk besides the catalog; every named database when `nil`.
    ///   - includingLeaves: Whether to check the nodes of leaf pages that refer to no other page. Without them the
    ///     walk covers what clearing a database (`mdb_drop`) follows, and reads far fewer bytes.
    ///   - ranges: Databases to check only where a read of these keys goes: the subtrees holding them, the subtree
    ///     on each side of those at every level (where a cursor stepping past a range's ends lands), and every
    ///     branch page on the way. The cost is then that of the pages a read of the ranges follows, not of the
    ///     database; its page and entry counts are not compared.
    ///   - includingFreeList: Whether to walk LMDB's free-page database (`FREE_DBI`) too, checking each of its lists
    ///     to name pages past the meta pages and within the snapshot, in descending order; by default, when `names` is
    ///     `nil`. Writers take pages from these lists, so a damaged one makes a write abort or overwrite pages in use;
    ///     readers never read them. A walk of every database also reports a listed page that a database uses.
    /// - Returns: The problems found (at most ``PageStructureWalk/maximumProblems``), empty for a sound structure.
    /// - Throws: ``LMDBError`` when the snapshot cannot be read (for example its meta page was overwritten by two
    ///   commits during the check, five times in a row).
    public func checkStructure(
        of names: [String]? = nil, includingLeaves: Bool = true, limitingTo ranges: [String: [KeyRange]] = [:],
        includingFreeList: Bool? = nil
    ) throws(LMDBError) -> [StructureProblem] {
        for _ in 0..<5 {
            let problems = try typedLMDBErrors("the structure walk") {
                try read { txn in
                    try Self.walkStructure(
                        pointer, txn.pointer, names: names, leaves: includingLeaves, ranges: ranges,
                        freeList: includingFreeList ?? (names == nil))
                }
            }
            if let problems { return problems }
        }
        throw LMDBError(
            code: .resourceTemporarilyUnavailable, operation: "checkStructure",
            detail: "commits kept replacing the snapshot's meta page")
    }

    /// Checks LMDB's free-page database (`FREE_DBI`) and the catalog:
    /// ``checkStructure(of:includingLeaves:limitingTo:includingFreeList:)`` of no named database, with the free-page
    /// lists.
    /// - Returns: The problems found, empty for a sound free-page database.
    public func checkFreeList() throws(LMDBError) -> [StructureProblem] {
        try checkStructure(of: [], includingFreeList: true)
    }

    /// ``checkStructure(of:includingLeaves:limitingTo:includingFreeList:)`` while the environment is being opened (no
    /// other thread can use it yet), in a read transaction of its own; `nil` when the transaction's meta page was
    /// already replaced.
    /// With `freeList`, the free-page database's pages and lists are checked too (writers take pages from them).
    static func checkStructureAtOpen(_ env: OpaquePointer, names: [String]?, freeList: Bool) throws(LMDBError)
        -> [StructureProblem]?
    {
        var txn: OpaquePointer?
        var rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn)
        if rc == MDB_MAP_RESIZED {
            // Another process grew the map since the open: adopt its size (no transaction is active here).
            try check(mdb_env_set_mapsize(env, 0), "mdb_env_set_mapsize(0)")
            rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn)
        }
        try check(rc, "mdb_txn_begin(read)")
        defer { mdb_txn_abort(txn) }
        return try walkStructure(env, txn!, names: names, leaves: true, ranges: [:], freeList: freeList)
    }

    /// The walk of ``checkStructure(of:includingLeaves:limitingTo:includingFreeList:)`` as of the read transaction
    /// `txn`; `nil` when its meta page was already replaced.
    private static func walkStructure(
        _ env: OpaquePointer, _ txn: OpaquePointer, names: [String]?, leaves: Bool, ranges: [String: [KeyRange]],
        freeList: Bool
    ) throws(LMDBError) -> [StructureProblem]? {
        let snapshot = UInt64(mdb_txn_id(txn))
        var descriptor: Int32 = -1
        var file = stat()
        var statistics = MDB_stat()
        try check(mdb_env_get_fd(env, &descriptor), "mdb_env_get_fd")
        try check(mdb_env_stat(env, &statistics), "mdb_env_stat")
        guard fstat(descriptor, &file) == 0 else {
            throw LMDBError(code: .init(rawValue: errno), operation: "fstat(data.mdb)")
        }
        let pageSize = Int(statistics.ms_psize)
        let size = Int(file.st_size)
        guard size >= 2 * pageSize else {
            return [StructureProblem(page: 0, database: "(meta)", detail: "no meta pages")]
        }
        guard let map = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), map != MAP_FAILED else {
            throw LMDBError(code: .init(rawValue: errno), operation: "mmap(data.mdb)")
        }
        defer { munmap(map, size) }
        let bytes = UnsafeRawBufferPointer(start: map, count: size)
        guard let meta = metaPage(of: snapshot, in: bytes, pageSize: pageSize) else { return nil }
        // A meta page is written in place, by the commit after next: what the walk needs of it is copied now, and
        // used only if the page still belonged to the snapshot once copied (the walk takes long enough for writers
        // to commit twice; the pages it walks are the snapshot's, which LMDB keeps while the transaction is open).
        let lastPage = bytes.loadUnaligned(fromByteOffset: meta + MetaPages.lastPageOffset, as: UInt64.self)
        let main = PageStructureWalk.DatabaseRecord(bytes, at: meta + MetaPages.mainDatabaseOffset)
        let free = PageStructureWalk.DatabaseRecord(bytes, at: meta + MetaPages.freeDatabaseOffset)
        guard metaPage(of: snapshot, in: bytes, pageSize: pageSize) == meta else { return nil }
        var walk = PageStructureWalk(bytes: bytes, pageSize: pageSize, lastPage: lastPage)
        let databases = walk.walk(main, database: "(main)", collectNames: true)
        for (name, record) in databases.sorted(by: { $0.key < $1.key }) where names?.contains(name) ?? true {
            if walk.isFull { break }
            walk.walk(record, database: name, leaves: leaves, ranges: ranges[name])
        }
        // The file may end before the snapshot's last page: LMDB never writes the pages a transaction takes and frees
        // again, and the file grows only as pages are written. Those pages must then all be free; the free-page
        // database says which are.
        if (freeList || walk.fileEndsEarly), !walk.isFull {
            walk.walk(free, database: PageStructureWalk.freeDatabaseName, freeList: true)
            // Only a walk of every database knows every page in use.
            if freeList, names == nil, ranges.isEmpty { walk.reportFreePagesInUse() }
        }
        let missing = walk.pagesPastTheFileInUse()
        if let first = missing.first, walk.problems.isEmpty {
            return [
                StructureProblem(
                    page: first, database: "(meta)",
                    detail: "the snapshot uses pages up to \(lastPage) but the file holds \(size / pageSize), and "
                        + "\(missing.count) of the pages past its end are not free: the file was cut short")
            ]
        }
        return walk.problems
    }

    /// The byte offset of the meta page (0 or 1) whose transaction id is `snapshot`, or `nil`.
    private static func metaPage(of snapshot: UInt64, in bytes: UnsafeRawBufferPointer, pageSize: Int) -> Int? {
        for page in 0..<2 {
            let start = page * pageSize
            let magic = bytes.loadUnaligned(fromByteOffset: start + MetaPages.magicOffset, as: UInt32.self)
            let transaction = bytes.loadUnaligned(fromByteOffset: start + MetaPages.transactionOffset, as: UInt64.self)
            if magic == MetaPages.magic, transaction == snapshot { return start }
        }
        return nil
    }
}
