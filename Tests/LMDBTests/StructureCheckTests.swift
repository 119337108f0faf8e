import Foundation
import Synchronization
import Testing

import AnnalsTestSupport

@testable import LMDB

/// `Environment.checkStructure(of:includingLeaves:limitingTo:includingFreeList:)` and the meta page checks at open:
/// sound files pass whatever their shape, and damaged ones are reported, never followed into a crash.
@Suite("Page structure checks")
struct StructureCheckTests {
    /// Fills an environment in `directory` with several shapes of tree: deep ones, overflow values, deletions that
    /// rebalance, an empty database and a cleared one; it is closed when this returns.
    private func buildVaried(_ directory: String) throws {
        let env = try Environment(path: directory)
        let small = try env.openDatabase("small", flags: .create)
        let large = try env.openDatabase("large", flags: .create)
        _ = try env.openDatabase("empty", flags: .create)
        let cleared = try env.openDatabase("cleared", flags: .create)
        try env.write { txn in
            for i in 0..<20_000 {
                try txn.put(
                    small, key: Array("key-\(i * 7919 % 20_000)".utf8), value: Array(repeating: 1, count: i % 90))
            }
            for i in 0..<40 {
                try txn.put(
                    large, key: Array("big-\(i)".utf8), value: Array(repeating: UInt8(i), count: 3_000 + i * 900))
            }
            for i in 0..<500 { try txn.put(cleared, key: Array("c\(i)".utf8), value: [1, 2, 3]) }
        }
        try env.write { txn in
            for i in stride(from: 0, to: 20_000, by: 3) { _ = try txn.delete(small, key: Array("key-\(i)".utf8)) }
            for i in stride(from: 0, to: 40, by: 4) { _ = try txn.delete(large, key: Array("big-\(i)".utf8)) }
            try txn.clear(cleared)
        }
    }

    @Test func soundEnvironmentsOfEveryShapeHaveNoProblems() throws {
        try withDirectory { directory in
            try buildVaried(directory)
            let env = try Environment(path: directory)
            #expect(try env.checkStructure() == [])
            #expect(try env.checkStructure(of: ["small"]) == [])

            let copy = directory + "-compact"
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: copy) }
            try env.copy(to: copy, compact: true)
            #expect(try Environment(path: copy).checkStructure() == [])
        }
        try withDirectory { directory in
            let empty = try Environment(path: directory)
            #expect(try empty.checkStructure() == [], "a new, empty environment")
        }
    }

    /// Makes the first list of the free-page database count one page more than it holds.
    private func damageFreeList(_ directory: String) throws {
        try FreePageListDamage.damageFirstList(dataFile: directory + "/data.mdb", pageSize: pageSize)
    }

    /// `mdb_freelist_save` reserves free-page records before filling them and may leave room past the count: a list
    /// that counts fewer pages than it has room for is sound, and writers still open the file.
    @Test func aFreePageListWithRoomPastItsCountIsSound() throws {
        try withDirectory { directory in
            try buildVaried(directory)
            try FreePageListDamage.damageFirstList(
                dataFile: directory + "/data.mdb", pageSize: pageSize, countDelta: -1)
            let reader = try Environment(path: directory, options: EnvironmentOptions(readOnly: true))
            #expect(try reader.checkFreeList() == [])
            reader.close()
            _ = try Environment(path: directory)
        }
    }

    /// The free-page database's root (a leaf in these small files) gets a list whose count disagrees with its
    /// length: writers would take pages from it, so a writable open refuses the file; a read-only one (for `verify`
    /// and `backup`) opens it, and `checkFreeList` names the damage.
    @Test func aDamagedFreePageListIsReportedAndRefusedToWriters() throws {
        try withDirectory { directory in
            try buildVaried(directory)
            try damageFreeList(directory)

            #expect {
                _ = try Environment(path: directory)
            } throws: { error in
                guard let error = error as? LMDBError else { return false }
                return error.code == .corrupted && error.description.contains("(free)")
            }
            let reader = try Environment(path: directory, options: EnvironmentOptions(readOnly: true))
            let problems = try reader.checkFreeList()
            #expect(problems.first?.database == "(free)", "\(problems)")
            #expect(problems.first?.detail.contains("a free-page list that counts") == true, "\(problems)")
            #expect(try reader.checkStructure().contains { $0.database == "(free)" })
            #expect(try reader.checkStructure(of: ["small"]) == [], "a walk of some databases leaves it out")
        }
    }

    /// The free-page lists are checked as of the walk's own snapshot while writers commit meanwhile: the meta page a
    /// commit two later overwrites in place must not lend the walk a newer free-page database.
    @Test func aWalkDuringCommitsSeesOneSnapshot() throws {
        try withDirectory { directory in
            let env = try Environment(path: directory)
            let data = try env.openDatabase("data", flags: .create)
            try env.write { txn in
                for i in 0..<2_000 {
                    try txn.put(data, key: Array("k\(i)".utf8), value: [UInt8](repeating: 7, count: 300))
                }
            }
            let stop = Atomic<Bool>(false)
            let writer = Thread {
                var round = 0
                while !stop.load(ordering: .relaxed) {
                    round += 1
                    try? env.write { txn in
                        for i in stride(from: round % 7, to: 2_000, by: 7) {
                            try txn.put(
                                data, key: Array("k\(i)".utf8),
                                value: [UInt8](repeating: UInt8(round % 250), count: 300))
                        }
                    }
                }
            }
            writer.start()
            defer { stop.store(true, ordering: .relaxed) }
            let deadline = Date().addingTimeInterval(1.5)
            var walks = 0
            while Date() < deadline {
                let problems = try env.checkStructure(includingFreeList: true)
                #expect(problems.isEmpty, "\(problems)")
                if !problems.isEmpty { break }
                walks += 1
            }
            stop.store(true, ordering: .relaxed)
            while !writer.isFinished { usleep(1_000) }
            #expect(walks > 5)
        }
    }

    /// A record-by-record copy reads only the databases' own pages: it copies an environment whose free-page lists are
    /// damaged into a sound one with the same entries, which a writer can open.
    @Test func aRecordCopyLeavesADamagedFreePageListBehind() throws {
        try withDirectory { directory in
            try buildVaried(directory)
            try damageFreeList(directory)
            let source = try Environment(path: directory, options: EnvironmentOptions(readOnly: true))
            let names = try source.databaseNames()
            #expect(names == ["cleared", "empty", "large", "small"])
            let copy = directory + "-records"
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: copy) }
            let copied = try source.copyRecords(of: names, to: copy)
            // Written beside and moved in whole: a killed copy leaves no data.mdb, so nothing opens half a copy.
            #expect(try FileManager.default.contentsOfDirectory(atPath: copy) == ["data.mdb"])

            let target = try Environment(path: copy)
            #expect(try target.checkStructure() == [])
            var total = 0
            for name in names {
                // Handles first: one opened inside a transaction is unknown to it.
                let (original, duplicate) = (try source.openDatabase(name), try target.openDatabase(name))
                let entries = try source.read { txn in try Self.entries(of: original, txn) }
                let copies = try target.read { txn in try Self.entries(of: duplicate, txn) }
                #expect(entries.count == copies.count && entries.elementsEqual(copies, by: ==), "\(name)")
                total += entries.count
            }
            #expect(copied == total && total > 10_000)
            let small = try target.openDatabase("small")
            try target.write { txn in try txn.put(small, key: [1], value: [2]) }
        }
    }

    /// Every entry of `database`, in key order.
    private static func entries(of database: Database, _ txn: borrowing Transaction) throws -> [([UInt8], [UInt8])] {
        try txn.withCursor(database) { cursor in
            var entries: [([UInt8], [UInt8])] = []
            var entry = try cursor.get(.first)
            while let current = entry {
                entries.append((Array(current.key), Array(current.value)))
                entry = try cursor.get(.next)
            }
            return entries
        }
    }

    @Test(arguments: [
        ("node offsets", 16, UInt8(0xFF)), ("free space bounds", 12, UInt8(0x80)), ("page flags", 10, UInt8(0x04)),
        ("page number", 0, UInt8(0x01)),
    ])
    func aDamagedLeafPageIsReportedNotFollowed(field: String, offset: Int, mask: UInt8) throws {
        try withDirectory { directory in
            try buildVaried(directory)
            // Every copy of the page: the transaction that deleted keys left the older one behind as a free page.
            for page in try pagesHolding(Array("key-19999".utf8), in: directory) {
                try flip(directory, at: page * pageSize + offset, mask: mask)
            }
            let env = try Environment(path: directory)
            let problems = try env.checkStructure()
            #expect(!problems.isEmpty, "\(field)")
            #expect(problems.allSatisfy { $0.database == "small" }, "\(problems)")
            #expect(try env.checkStructure(of: ["large", "empty"]) == [], "other databases are not walked")
        }
    }

    @Test func aCheckLimitedToKeyRangesWalksOnlyWhereThoseKeysLie() throws {
        try withDirectory { directory in
            try buildVaried(directory)
            for page in try pagesHolding(Array("key-19999".utf8), in: directory) {
                try flip(directory, at: page * pageSize + 16, mask: 0xFF)
            }
            let env = try Environment(path: directory)
            func check(_ lower: String, _ upper: String) throws -> [StructureProblem] {
                try env.checkStructure(
                    of: ["small"], limitingTo: ["small": [KeyRange(Array(lower.utf8), through: Array(upper.utf8))]])
            }
            // "key-19999" sorts just before "key-2": far from "key-9…", inside "key-19…".
            #expect(try check("key-9", "key-9999") == [], "a range far from the damaged page does not reach it")
            #expect(try check("key-19999", "key-19999").contains { $0.database == "small" })
            #expect(try check("key-0", "key-9999").contains { $0.database == "small" }, "a range over every key")
        }
    }

    @Test func aLimitedWalkFollowsTheChildrenHoldingARangeAndOneOnEachSide() {
        let keys = ["", "b", "d", "f", "h"].map { Array($0.utf8) }
        func children(_ ranges: [(String, String)]?) -> [Int] {
            let limits = ranges?.map { KeyRange(Array($0.0.utf8), through: Array($0.1.utf8)) }
            return keys.withUnsafeBufferPointers { PageStructureWalk.childrenToWalk($0, ranges: limits) }
        }
        #expect(children(nil) == [0, 1, 2, 3, 4])
        #expect(children([("c", "c")]) == [0, 1, 2], "the child from b holds c")
        #expect(children([("a", "a")]) == [0, 1], "the first child holds everything below b")
        #expect(children([("z", "zz")]) == [3, 4])
        #expect(children([("d", "e")]) == [1, 2, 3])
        #expect(children([("a", "a"), ("h", "h")]) == [0, 1, 3, 4], "two ranges")
    }

    @Test func aDamagedOverflowReferenceIsReported() throws {
        try withDirectory { directory in
            try buildVaried(directory)
            // The node of `big-39` holds the number of its first overflow page right after its key (in every copy of
            // its page).
            let key = Array("big-39".utf8)
            for found in try positions(of: key, in: directory) {
                try flip(directory, at: found + key.count + 3, mask: 0x40)
            }
            let problems = try Environment(path: directory).checkStructure(of: ["large"])
            #expect(problems.contains { $0.database == "large" }, "\(problems)")
        }
    }

    @Test(arguments: [
        ("page size", 40, UInt8(0x10), "page size"), ("main root", 128 + 7, UInt8(0x40), "root page"),
        ("last page", 136 + 7, UInt8(0x10), "uses pages up to"),
    ])
    func aDamagedMetaPageIsRefusedAtOpen(field: String, offset: Int, mask: UInt8, mention: String) throws {
        try withDirectory { directory in
            try buildVaried(directory)
            // Both meta pages, so the damaged one is the one LMDB would choose.
            try flip(directory, at: offset, mask: mask)
            try flip(directory, at: pageSize + offset, mask: mask)
            let error = try #require(throws: LMDBError.self, "a store with a damaged \(field) opened") {
                _ = try Environment(path: directory)
            }
            #expect(error.code == .corrupted, "\(error)")
            #expect(error.detail?.contains(mention) == true, "\(error)")
        }
    }

    @Test func aSummaryNamesTheFirstProblemAndCountsTheRest() {
        let problems = (1...3).map { StructureProblem(page: UInt64($0), database: "events", detail: "broken") }
        #expect(StructureProblem.summary(of: []) == nil)
        #expect(StructureProblem.summary(of: [problems[0]]) == "page 1 of events: broken")
        #expect(StructureProblem.summary(of: problems) == "page 1 of events: broken (and 2 more problems)")
    }

    // MARK: - Helpers

    /// LMDB's page size for new environments: the system's.
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    private func withDirectory(_ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lmdb-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    /// Where `needle` occurs in the data file after the meta pages.
    private func positions(of needle: [UInt8], in directory: String) throws -> [Int] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/data.mdb"))
        var found: [Int] = []
        var start = 2 * pageSize
        while let range = bytes.range(of: Data(needle), in: start..<bytes.count) {
            found.append(range.lowerBound)
            start = range.upperBound
        }
        try #require(!found.isEmpty, "no \(String(decoding: needle, as: UTF8.self)) in data.mdb")
        return found
    }

    /// The numbers of the pages holding `needle`.
    private func pagesHolding(_ needle: [UInt8], in directory: String) throws -> Set<Int> {
        Set(try positions(of: needle, in: directory).map { $0 / pageSize })
    }

    private func flip(_ directory: String, at offset: Int, mask: UInt8) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: directory + "/data.mdb"))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: [byte ^ mask])
    }

}

extension Array where Element == [UInt8] {
    /// `body` with a buffer view of each array, valid for the call.
    fileprivate func withUnsafeBufferPointers<Result>(_ body: ([UnsafeRawBufferPointer]) -> Result) -> Result {
        func visit(_ index: Int, _ views: [UnsafeRawBufferPointer]) -> Result {
            guard index < count else { return body(views) }
            return self[index].withUnsafeBytes { visit(index + 1, views + [$0]) }
        }
        return visit(0, [])
    }
}
