#if canImport(Glibc)
    import Glibc
#endif

/// The two meta pages at the start of a data file, read and checked before LMDB opens it.
///
/// LMDB checks a meta page's magic number and version, then trusts the rest: the page size it records places the
/// second meta page and sizes the map, and its root page numbers and last page are followed as they are. A damaged
/// one makes `mdb_env_open` or the first read fault. This reads both with `pread` and names what is wrong with the
/// one LMDB would choose (the valid one with the higher transaction id).
enum MetaPages {
    /// Offsets within a meta page: the page header, then `MDB_meta`.
    static let magicOffset = 16
    private static let versionOffset = 20
    /// The records (`MDB_db`) of the free-page database and of the main one.
    static let freeDatabaseOffset = 40
    static let mainDatabaseOffset = 88
    /// `mm_psize`, stored in the free-page database's record (its `md_pad`).
    private static let pageSizeOffset = freeDatabaseOffset
    private static let freeRootOffset = freeDatabaseOffset + PageStructureWalk.DatabaseRecord.rootOffset
    private static let mainRootOffset = mainDatabaseOffset + PageStructureWalk.DatabaseRecord.rootOffset
    static let lastPageOffset = 136
    static let transactionOffset = 144
    private static let metaSize = 152
    static let magic: UInt32 = 0xBEEF_C0DE

    /// What can be wrong with the meta page LMDB would use.
    enum Problem: Equatable {
        /// The file ends before a root page of the meta page (`neededBytes`: the bytes of the pages it says are in use).
        case truncated(fileBytes: UInt64, neededBytes: UInt64)
        /// A field that LMDB would follow is out of range.
        case damaged(String)
    }

    /// What is wrong with the meta page LMDB would use in the data file of the environment at `directory`, or
    /// `nil` when nothing is, when there is no data file yet, or when LMDB will refuse the file itself (a missing
    /// magic number or an unknown version, which it reports cleanly).
    static func problem(inEnvironmentAt directory: String) -> Problem? {
        let descriptor = open(directory + "/data.mdb", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var file = stat()
        guard fstat(descriptor, &file) == 0 else { return nil }
        let size = UInt64(file.st_size)
        guard let first = read(descriptor, at: 0), isMeta(first) else { return nil }
        let pageSize = UInt64(first.load(fromByteOffset: pageSizeOffset, as: UInt32.self))
        guard pageSize >= 512, pageSize <= 65_536, pageSize & (pageSize - 1) == 0 else {
            return .damaged("meta page 0 records a page size of \(pageSize) bytes")
        }
        guard let second = read(descriptor, at: pageSize), isMeta(second) else { return nil }
        let secondPageSize = UInt64(second.load(fromByteOffset: pageSizeOffset, as: UInt32.self))
        guard secondPageSize == pageSize else {
            return .damaged("meta page 1 records a page size of \(secondPageSize) bytes, meta page 0 \(pageSize)")
        }
        let metas = [first, second]
        let transactions = metas.map { $0.load(fromByteOffset: transactionOffset, as: UInt64.self) }
        let chosen = transactions[1] > transactions[0] ? 1 : 0
        let meta = metas[chosen]
        let lastPage = meta.load(fromByteOffset: lastPageOffset, as: UInt64.self)
        let (pages, overflow) = lastPage.addingReportingOverflow(1)
        let (needed, tooLarge) = pages.multipliedReportingOverflow(by: pageSize)
        guard !overflow, !tooLarge else {
            return .damaged("meta page \(chosen) (transaction \(transactions[chosen])) uses pages up to \(lastPage)")
        }
        for (name, offset) in [("free-page", freeRootOffset), ("main", mainRootOffset)] {
            let root = meta.load(fromByteOffset: offset, as: UInt64.self)
            if root != PageStructureWalk.invalidPage && (root < 2 || root > lastPage) {
                return .damaged(
                    "meta page \(chosen) (transaction \(transactions[chosen])) gives the \(name) database the root "
                        + "page \(root), outside pages 2…\(lastPage)")
            }
            // A file may end before the last page (pages taken and freed within a transaction are never written),
            // but never before a root: the walk at the open checks the rest (`walkStructure`).
            if root != PageStructureWalk.invalidPage && (root + 1) * pageSize > size {
                return .truncated(fileBytes: size, neededBytes: needed)
            }
        }
        return nil
    }

    private static func isMeta(_ page: [UInt8]) -> Bool {
        page.withUnsafeBytes { bytes in
            bytes.loadUnaligned(fromByteOffset: PageStructureWalk.flagsOffset, as: UInt16.self) & 0x08 != 0
                && bytes.loadUnaligned(fromByteOffset: magicOffset, as: UInt32.self) == magic
                && bytes.loadUnaligned(fromByteOffset: versionOffset, as: UInt32.self) == 1
        }
    }

    /// The first ``metaSize`` bytes of the page at `offset`, or `nil` when the file is shorter.
    private static func read(_ descriptor: Int32, at offset: UInt64) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: metaSize)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, metaSize, off_t(offset)) }
        return count == metaSize ? bytes : nil
    }
}

extension [UInt8] {
    fileprivate func load<T>(fromByteOffset offset: Int, as type: T.Type) -> T {
        withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: type) }
    }
}
