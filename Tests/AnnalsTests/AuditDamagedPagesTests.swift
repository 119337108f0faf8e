import Foundation
import Testing

@testable import Annals

/// An audit of a store whose pages on the way to the head are damaged reads nothing through them: LMDB follows its
/// pages unchecked, and a damaged one can crash the process.
@Suite struct AuditDamagedPagesTests {
    /// Flips the high byte of the first node offset of every page of `path`'s data file holding `needle` (past the
    /// two meta pages), so that the node lies outside its page, as the structure walk notices.
    /// - Returns: How many pages were damaged.
    private func damagePages(holding needle: [UInt8], inStoreAt path: String) throws -> Int {
        let file = URL(fileURLWithPath: path + "/data.mdb")
        var data = [UInt8](try Data(contentsOf: file))
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))  // LMDB's page size for new stores
        var pages = Set<Int>()
        for start in (2 * pageSize)...(data.count - needle.count) where data[start] == needle[0] {
            if Array(data[start..<start + needle.count]) == needle { pages.insert(start / pageSize) }
        }
        for page in pages { data[page * pageSize + 17] ^= 0x80 }
        try Data(data).write(to: file)
        return pages.count
    }

    /// The page holding the head record is damaged where a read of the last record does not look (its first node):
    /// the audit reports the page as a `structure` problem and anchors nowhere, where it used to read the head
    /// through that page and anchor to it.
    @Test func aDamagedPageOnTheWayToTheHeadIsReportedAndNotReadThrough() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let head: [UInt8]
            do {
                let store = try EventStore(path: path)
                defer { store.close() }
                _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) })
                // The record's bytes, which only its page of `events` holds (meta's head hash begins with its tag).
                head = try store.environment.read { txn in try #require(try store.record(at: 10, txn).map(Array.init)) }
            }
            #expect(try damagePages(holding: head, inStoreAt: path) == 1)
            let store = try EventStore(path: path, options: StoreOptions(readOnly: true))
            defer { store.close() }
            let report = try store.audit()
            #expect(report.anchor == nil, "\(String(describing: report.anchor))")
            #expect(report.verification.problems.map(\.kind) == [.structure], "\(report.verification)")
            #expect(report.verification.recordsChecked == 0 && report.events == 0)
            #expect(report.json["coveredPrefix"] == .object(["lastOffset": .integer(0), "hash": .null]))
            #expect(report.json["range"] == .object(["from": .integer(1), "to": .integer(0)]))
            // As verify reports the page (a whole-log verify also compares the tree's counts with its record).
            let verification = try store.verify()
            #expect(verification.problems.starts(with: report.verification.problems), "\(verification)")
        }
    }
}
