#if canImport(Glibc)
    import Glibc
#endif

/// A damaged page found by ``Environment/checkStructure(of:includingLeaves:limitingTo:includingFreeList:)``.
public struct StructureProblem: Sendable, Hashable, CustomStringConvertible {
    /// The page number in `data.mdb` (its byte offset is this times the page size).
    public var page: UInt64
    /// The database whose tree the page belongs to (`(main)` for the catalog of named databases).
    public var database: String
    /// What is wrong with it.
    public var detail: String

    /// `page N of DATABASE: detail`.
    public var description: String { "page \(page) of \(database): \(detail)" }

    /// The first of `problems` for a message, with how many more there are: `page 3 of events: … (and 2 more
    /// problems)`; `nil` when there are none.
    public static func summary(of problems: [StructureProblem]) -> String? {
        guard let first = problems.first else { return nil }
        return "\(first)" + (problems.count > 1 ? " (and \(problems.count - 1) more problems)" : "")
    }
}

/// Walks B-trees in the raw bytes of a data file, trusting nothing in them: every page number, offset, size and
/// flag is checked before it is followed. LMDB itself trusts its pages, so a damaged one can make it read outside
/// its map and crash the process; a walk that finds nothing wrong means LMDB can follow every node it reaches.
///
/// The layout is LMDB 0.9's on a 64-bit machine (`mdb.c`): a 16-byte page header (`mp_pgno`, `mp_pad`,
/// `mp_flags`, `mp_lower`/`mp_upper` or the overflow page count), then 2-byte node offsets; a node is `mn_lo`,
/// `mn_hi`, `mn_flags`, `mn_ksize` (2 bytes each), the key, then the data (a leaf) or nothing (a branch, whose
/// child page number is `mn_lo | mn_hi << 16 | mn_flags << 32`). A database record (`MDB_db`) is 48 bytes.
struct PageStructureWalk {
    private let bytes: UnsafeRawBufferPointer
    private let pageSize: Int
    /// The last page the snapshot uses; pages after it are free space.
    private let lastPage: UInt64
    /// The last page the file holds: before ``lastPage`` when the snapshot's last pages were taken and freed again
    /// within one transaction (LMDB never writes those), so the pages after it must all be free
    /// (``pagesPastTheFileInUse()``).
    private let lastPageInFile: UInt64
    /// One bit per page of the snapshot: whether the walk has reached it.
    private var visited: [UInt64]
    private(set) var problems: [StructureProblem] = []
    /// The pages the free-page database lists, gathered by ``walk(_:database:collectNames:leaves:ranges:freeList:)``
    /// with `freeList`.
    private(set) var freePages: [UInt64] = []
    /// How problems name LMDB's free-page database (`FREE_DBI`), which has no name of its own.
    static let freeDatabaseName = "(free)"
    /// The most problems reported; the walk stops there.
    static let maximumProblems = 20

    static let headerSize = 16
    /// Offsets in a page header: `mp_flags`, then `mp_lower` and `mp_upper` (or `mp_pages`, an overflow run's count).
    static let flagsOffset = 10
    private static let lowerOffset = 12
    private static let upperOffset = 14
    static let nodeHeaderSize = 8
    static let databaseRecordSize = 48
    static let invalidPage = UInt64.max

    private static let branchFlag: UInt16 = 0x01
    private static let leafFlag: UInt16 = 0x02
    private static let overflowFlag: UInt16 = 0x04
    private static let leaf2Flag: UInt16 = 0x20
    private static let subpageFlag: UInt16 = 0x40
    /// Flags only meaningful in memory, which a written page may still carry.
    private static let transientFlags: UInt16 = 0x10 | 0x4000 | 0x8000
    private static let bigDataNode: UInt16 = 0x01
    private static let subDataNode: UInt16 = 0x02
    private static let duplicateDataNode: UInt16 = 0x04
    private static let duplicateSortDatabase: UInt16 = 0x04
    /// `MDB_REVERSEKEY`, `MDB_INTEGERKEY`: keys not in plain byte order.
    private static let customOrderDatabase: UInt16 = 0x02 | 0x08

    /// A database's record: its root, depth, page counts and entries.
    struct DatabaseRecord {
        /// Where `md_root` lies in the record.
        static let rootOffset = 40

        var flags: UInt16
        var depth: UInt16
        var branchPages: UInt64
        var leafPages: UInt64
        var overflowPages: UInt64
        var entries: UInt64
        var root: UInt64

        init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
            flags = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
            depth = bytes.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self)
            branchPages = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
            leafPages = bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)
            overflowPages = bytes.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)
            entries = bytes.loadUnaligned(fromByteOffset: offset + 32, as: UInt64.self)
            root = bytes.loadUnaligned(fromByteOffset: offset + Self.rootOffset, as: UInt64.self)
        }
    }

    /// A walk over `bytes`, the data file from its start (all of it that exists), for a snapshot that uses pages up
    /// to `lastPage`.
    init(bytes: UnsafeRawBufferPointer, pageSize: Int, lastPage: UInt64) {
        self.bytes = bytes
        self.pageSize = pageSize
        self.lastPage = lastPage
        lastPageInFile = min(lastPage, UInt64(bytes.count / pageSize) &- 1)
        visited = [UInt64](repeating: 0, count: Int(lastPage / 64) + 1)
    }

    /// The pages past the end of the file (after ``lastPageInFile``, up to ``lastPage``) that the free-page database
    /// does not list: pages the snapshot may use that the file has lost. Meaningful after walking the free-page
    /// database (``walk(_:database:collectNames:leaves:ranges:freeList:)`` with `freeList`).
    func pagesPastTheFileInUse() -> [UInt64] {
        guard lastPageInFile < lastPage else { return [] }
        let free = Set(freePages.filter { $0 > lastPageInFile })
        return (lastPageInFile + 1...lastPage).filter { !free.contains($0) }
    }

    /// Whether the file ends before the snapshot's last page.
    var fileEndsEarly: Bool { lastPageInFile < lastPage }

    /// Marks page `number` (at most ``lastPage``) reached; `false` when it already was.
    private mutating func markVisited(_ number: UInt64) -> Bool {
        let (word, bit) = (Int(number / 64), UInt64(1) << (number % 64))
        guard visited[word] & bit == 0 else { return false }
        visited[word] |= bit
        return true
    }

    var isFull: Bool { problems.count >= Self.maximumProblems }

    private mutating func report(_ page: UInt64, _ database: String, _ detail: String) {
        if !isFull { problems.append(StructureProblem(page: page, database: database, detail: detail)) }
    }

    /// Walks the tree of `record`; returns the named databases found in its leaves when `collectNames` (the
    /// catalog's), each with its record. Without `leaves`, the nodes of leaf pages are not checked unless they may
    /// refer to other pages (overflow values, duplicates): that is all that clearing the database follows.
    ///
    /// With `ranges`, only the subtrees that hold keys of those ranges are walked, with one more subtree on each side
    /// of them at every level (where a cursor that steps past a range's first or last key lands); every branch page
    /// on the way is checked whole. The database's page and entry counts are then not compared, as most of its tree
    /// is not walked.
    @discardableResult
    mutating func walk(
        _ record: DatabaseRecord, database: String, collectNames: Bool = false, leaves: Bool = true,
        ranges: [KeyRange]? = nil, freeList: Bool = false
    ) -> [String: DatabaseRecord] {
        var names: [String: DatabaseRecord] = [:]
        guard record.root != Self.invalidPage else {
            if record.entries != 0 || record.depth != 0 {
                report(0, database, "no root page but \(record.entries) entries and depth \(record.depth)")
            }
            return names
        }
        // LMDB's cursors hold at most 32 levels.
        guard (1...32).contains(record.depth) else {
            report(record.root, database, "a tree depth of \(record.depth)")
            return names
        }
        var counts = (branch: UInt64(0), leaf: UInt64(0), overflow: UInt64(0), entries: UInt64(0))
        // Depth-first, each page with its level (the root is level 1; leaves are at the database's depth).
        var stack: [(page: UInt64, level: Int)] = [(record.root, 1)]
        let plainOrder = record.flags & Self.customOrderDatabase == 0
        // Limiting the walk to key ranges needs keys in byte order.
        let ranges = plainOrder ? ranges : nil
        let leafNodesMatter =
            leaves || collectNames || record.overflowPages > 0 || record.flags & Self.duplicateSortDatabase != 0
        while let (number, level) = stack.popLast(), !isFull {
            guard let page = claim(number, database) else { continue }
            let flags = Self.flags(of: page)
            let isBranch = flags == Self.branchFlag
            guard isBranch || flags == Self.leafFlag || flags == Self.leafFlag | Self.leaf2Flag else {
                report(number, database, "flags \(hex(flags)) are not those of a branch or leaf page")
                continue
            }
            if isBranch != (level < Int(record.depth)) {
                report(number, database, "a \(isBranch ? "branch" : "leaf") page at level \(level) of \(record.depth)")
                continue
            }
            if !isBranch && !leafNodesMatter {
                counts.leaf += 1
                continue
            }
            if flags & Self.leaf2Flag != 0 {
                // Fixed-size duplicates packed without node offsets (`MDB_DUPFIXED`): only the bounds apply.
                let (lower, upper) = Self.freeSpace(of: page)
                if lower < Self.headerSize || lower > upper || upper > pageSize {
                    report(number, database, "free space bounds \(lower)…\(upper) do not fit the page")
                }
                counts.leaf += 1
                counts.entries += UInt64(max(0, lower - Self.headerSize) / 2)
                continue
            }
            guard let offsets = nodeOffsets(page, size: pageSize, number, database) else { continue }
            var previousKey: UnsafeRawBufferPointer?
            var children: [(page: UInt64, key: UnsafeRawBufferPointer)] = []
            defer {
                for index in Self.childrenToWalk(children.map(\.key), ranges: ranges) {
                    stack.append((children[index].page, level + 1))
                }
            }
            for (index, offset) in offsets.enumerated() {
                let lo = UInt64(page.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
                let hi = UInt64(page.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self))
                let nodeFlags = page.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
                let keySize = Int(page.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self))
                let keyStart = offset + Self.nodeHeaderSize
                guard keyStart + keySize <= pageSize else {
                    report(number, database, "the key of the node at \(offset) runs past the page")
                    break
                }
                let key = UnsafeRawBufferPointer(rebasing: page[keyStart..<keyStart + keySize])
                // A branch page's first key stands for everything below its second one and is not compared.
                if plainOrder, let previousKey, !(isBranch && index < 2), compareKeys(previousKey, key) >= 0 {
                    report(number, database, "the keys at and before the node at \(offset) are out of order")
                    break
                }
                previousKey = key
                if isBranch {
                    children.append((lo | hi << 16 | UInt64(nodeFlags) << 32, key))
                    continue
                }
                counts.entries += 1
                let dataStart = keyStart + keySize
                let dataSize = Int(lo | hi << 16)
                if nodeFlags & Self.bigDataNode != 0 {
                    guard dataStart + 8 <= pageSize else {
                        report(number, database, "the overflow page number of the node at \(offset) runs past the page")
                        break
                    }
                    let first = page.loadUnaligned(fromByteOffset: dataStart, as: UInt64.self)
                    let pages = checkOverflow(first, holding: dataSize, database)
                    counts.overflow += pages
                    if freeList, pages > 0 {
                        let start = Int(first) * pageSize + Self.headerSize
                        checkFreeList(UnsafeRawBufferPointer(rebasing: bytes[start..<start + dataSize]), page: number)
                    }
                    continue
                }
                guard dataStart + dataSize <= pageSize else {
                    report(number, database, "the data of the node at \(offset) runs past the page")
                    break
                }
                let data = UnsafeRawBufferPointer(rebasing: page[dataStart..<dataStart + dataSize])
                if freeList {
                    checkFreeList(data, page: number)
                } else if nodeFlags & Self.subDataNode != 0 {
                    guard dataSize == Self.databaseRecordSize else {
                        report(number, database, "a database record of \(dataSize) bytes at node \(offset)")
                        break
                    }
                    let inner = DatabaseRecord(data, at: 0)
                    if nodeFlags & Self.duplicateDataNode != 0 {
                        walk(inner, database: database + " (duplicates)")
                    } else if collectNames {
                        names[String(decoding: key, as: UTF8.self)] = inner
                    }
                } else if nodeFlags & Self.duplicateDataNode != 0 {
                    checkSubpage(data, page: number, database)
                }
            }
            if isBranch { counts.branch += 1 } else { counts.leaf += 1 }
        }
        if !isFull, ranges == nil, record.flags & Self.duplicateSortDatabase == 0 {
            var stored = (record.branchPages, record.leafPages, record.overflowPages, record.entries)
            if !leafNodesMatter { stored.3 = counts.entries }
            if stored != counts {
                report(
                    record.root, database,
                    "its record counts \(stored.0) branch, \(stored.1) leaf and \(stored.2) overflow pages and "
                        + "\(stored.3) entries, its tree \(counts.branch), \(counts.leaf), \(counts.overflow) and "
                        + "\(counts.entries)")
            }
        }
        return names
    }

    /// The indices of a branch page's children (given by their keys; the first one's stands for everything below the
    /// second's) that a walk limited to `ranges` follows: every child when `ranges` is `nil`, else each child whose
    /// keys may fall in a range, and the child before and after those.
    static func childrenToWalk(_ keys: [UnsafeRawBufferPointer], ranges: [KeyRange]?) -> [Int] {
        guard let ranges else { return Array(keys.indices) }
        // The child whose keys include `key`: the last one whose first key is at most `key` (the first child's key
        // is not compared: it takes every key below the second's). The keys ascend: a binary search.
        func child(holding key: [UInt8]) -> Int {
            key.withUnsafeBytes { key in
                var (low, high) = (1, keys.count)
                while low < high {
                    let middle = (low + high) / 2
                    if compareKeys(keys[middle], key) <= 0 { low = middle + 1 } else { high = middle }
                }
                return low - 1
            }
        }
        var selected = Set<Int>()
        for range in ranges where !keys.isEmpty {
            let first = max(child(holding: range.lower) - 1, 0)
            let last = min(child(holding: range.upper) + 1, keys.count - 1)
            if first <= last { selected.formUnion(first...last) }
        }
        return selected.sorted()
    }

    /// The bytes of page `number` when it is in the snapshot and not reached before; reports it otherwise.
    private mutating func claim(_ number: UInt64, _ database: String) -> UnsafeRawBufferPointer? {
        guard number >= 2, number <= lastPage else {
            report(number, database, "a reference to page \(number), outside pages 2…\(lastPage)")
            return nil
        }
        guard number <= lastPageInFile else {
            report(number, database, "a reference to page \(number), past the end of the file (page \(lastPageInFile))")
            return nil
        }
        guard markVisited(number) else {
            report(number, database, "the page is reached twice")
            return nil
        }
        let start = Int(number) * pageSize
        let page = UnsafeRawBufferPointer(rebasing: bytes[start..<start + pageSize])
        let stored = page.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        guard stored == number else {
            report(number, database, "the page says it is page \(stored)")
            return nil
        }
        return page
    }

    /// The offsets of the nodes of the page (or sub-page) `page` of `size` bytes, each checked to lie after the
    /// free space and within the page; `nil` (reported) when the header or an offset is wrong.
    private mutating func nodeOffsets(
        _ page: UnsafeRawBufferPointer, size: Int, _ number: UInt64, _ database: String
    ) -> [Int]? {
        let (lower, upper) = Self.freeSpace(of: page)
        guard lower >= Self.headerSize, lower <= upper, upper <= size, (lower - Self.headerSize) % 2 == 0 else {
            report(number, database, "free space bounds \(lower)…\(upper) do not fit a \(size)-byte page")
            return nil
        }
        var offsets: [Int] = []
        offsets.reserveCapacity((lower - Self.headerSize) / 2)
        for slot in stride(from: Self.headerSize, to: lower, by: 2) {
            let offset = Int(page.loadUnaligned(fromByteOffset: slot, as: UInt16.self))
            guard offset >= upper, offset + Self.nodeHeaderSize <= size else {
                report(number, database, "node offset \(offset) lies outside the page's nodes (\(upper)…)")
                return nil
            }
            offsets.append(offset)
        }
        return offsets
    }

    /// Checks an overflow run starting at `first` for a value of `size` bytes; returns its page count.
    private mutating func checkOverflow(_ first: UInt64, holding size: Int, _ database: String) -> UInt64 {
        guard let page = claim(first, database) else { return 0 }
        let flags = Self.flags(of: page)
        let count = UInt64(page.loadUnaligned(fromByteOffset: Self.lowerOffset, as: UInt32.self))
        guard flags == Self.overflowFlag, count >= 1, first + count - 1 <= lastPageInFile,
            UInt64(size) <= count * UInt64(pageSize) - UInt64(Self.headerSize)
        else {
            report(first, database, "not an overflow run of \(size) bytes (flags \(hex(flags)), \(count) pages)")
            return 0
        }
        for next in first + 1..<first + count where !markVisited(next) {
            report(next, database, "the page is reached twice")
        }
        return count
    }

    /// Checks one record of the free-page database (`FREE_DBI`): a count, then that many page numbers, each a page of
    /// the snapshot past the meta pages, in descending order (an `MDB_IDL`); gathers them in ``freePages``. LMDB's
    /// writers take pages from these lists, so a damaged one makes a write overwrite pages in use, or abort.
    ///
    /// A record may hold more room than its count: `mdb_freelist_save` reserves records before filling them and
    /// leaves a reserved one it no longer needs with a count of 0 (and what follows unwritten). LMDB reads only the
    /// counted pages, and so does this check.
    private mutating func checkFreeList(_ data: UnsafeRawBufferPointer, page number: UInt64) {
        let database = Self.freeDatabaseName
        guard data.count >= 8, data.count % 8 == 0 else {
            report(number, database, "a free-page list of \(data.count) bytes, not a count and page numbers")
            return
        }
        let count = data.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        guard count <= UInt64(data.count / 8 - 1) else {
            report(number, database, "a free-page list that counts \(count) pages in \(data.count - 8) bytes")
            return
        }
        var previous = UInt64.max
        for index in stride(from: 1, through: Int(count), by: 1) {
            let free = data.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
            guard free >= 2, free <= lastPage, free < previous else {
                report(
                    number, database,
                    "a free-page list names page \(free): "
                        + (free < previous ? "outside pages 2…\(lastPage)" : "not in descending order"))
                return
            }
            freePages.append(free)
            previous = free
        }
    }

    /// Reports every page that the free-page database lists and that a walk reached: in use, yet free to be
    /// overwritten. Meaningful after walking every database, the free-page database included.
    mutating func reportFreePagesInUse() {
        for free in freePages where !isFull {
            let (word, bit) = (Int(free / 64), UInt64(1) << (free % 64))
            if visited[word] & bit != 0 { report(free, Self.freeDatabaseName, "the page is listed free but is in use") }
        }
    }

    /// Checks a sub-page of sorted duplicates stored inside a node's data.
    private mutating func checkSubpage(_ data: UnsafeRawBufferPointer, page number: UInt64, _ database: String) {
        guard data.count >= Self.headerSize,
            Self.flags(of: data) & Self.subpageFlag != 0
        else {
            report(number, database, "a duplicate node whose data is not a sub-page")
            return
        }
        _ = nodeOffsets(data, size: data.count, number, database)
    }

    /// A page's flags, without those only meaningful in memory.
    private static func flags(of page: UnsafeRawBufferPointer) -> UInt16 {
        page.loadUnaligned(fromByteOffset: flagsOffset, as: UInt16.self) & ~transientFlags
    }

    /// A page's `mp_lower` and `mp_upper`: where its node offsets end and its nodes begin.
    private static func freeSpace(of page: UnsafeRawBufferPointer) -> (lower: Int, upper: Int) {
        (
            Int(page.loadUnaligned(fromByteOffset: lowerOffset, as: UInt16.self)),
            Int(page.loadUnaligned(fromByteOffset: upperOffset, as: UInt16.self))
        )
    }

    private func hex(_ value: UInt16) -> String { "0x" + String(value, radix: 16) }
}
