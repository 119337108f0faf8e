import Foundation
import Testing

@testable import Annals

/// `annals reindex`: the log's indexes, `ids` and `streams` rebuilt from the log, the repair for what
/// `annals verify --indexes` reports.
@Suite struct CLIReindexTests {
    /// Changes `streams` and the record at `damagedRecord` (if any) behind the engine's back.
    private func damage(_ fx: CLIFixture, damagedRecord: UInt64? = nil) throws {
        let store = try EventStore(path: fx.store)
        defer { store.close() }
        try store.write { txn in
            try txn.put(store.schema.streams, key: Array("thing-4".utf8), value: UInt64(77).bigEndianBytes)
            if let offset = damagedRecord {
                var record = try #require(try txn.get(store.schema.events, key: offset.bigEndianBytes))
                record[record.count - 3] ^= 0x40
                try txn.put(store.schema.events, key: offset.bigEndianBytes, value: record)
            }
        }
    }

    @Test func reindexRepairsWhatVerifyIndexesReports() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(300))
            try damage(fx)
            #expect(try fx.annals("verify", "--indexes").status == Exit.damaged)

            let result = try fx.annals("reindex")
            #expect(result.status == Exit.ok, "\(result)")
            let summary = try result.object()
            #expect(summary.int("head") == 300 && summary.int("events") == 300, "\(summary)")
            #expect(summary.int("streams") == 11 && summary.int("duplicateClientIDs") == 0, "\(summary)")
            #expect(summary.object("symbols")?.int("idx.target") == 11, "\(summary)")
            let verified = try fx.annals("verify", "--indexes")
            #expect(verified.status == Exit.ok, "\(verified)")
            #expect(try fx.annals("read", "--target", "thing-4").objects().count == 27)
        }
    }

    @Test func aDamagedRecordStopsReindexWithNothingChanged() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(300))
            try damage(fx, damagedRecord: 120)
            let result = try fx.annals("reindex")
            #expect(result.status == Exit.corrupt, "\(result)")
            #expect(result.errors.contains("120"), "the message names the offset: \(result)")
            #expect(result.stdout.isEmpty)
            let store = try EventStore(path: fx.store)
            defer { store.close() }
            #expect(try store.version(of: "thing-4") == 77, "streams is as it was")
        }
    }

    /// A damaged leaf of a posting list: the commands that read it refuse it (exit 5) and advise `annals reindex`,
    /// which rebuilds the index without reading the damaged page (clearing a database without overflow pages does not
    /// read its leaves).
    @Test func aDamagedIndexPageIsRefusedUntilReindexRebuildsIt() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(300))
            // Merges every posting into the posting lists: thing-4's first block is keyed `thing-4 00 <offset 5>`.
            #expect(try fx.annals("reindex").status == Exit.ok)
            let file = URL(fileURLWithPath: fx.store + "/data.mdb")
            var data = [UInt8](try Data(contentsOf: file))
            let needle = Array("thing-4".utf8) + [0] + UInt64(5).bigEndianBytes
            var pages = Set<Int>()
            var start = 2 * 4_096
            while let range = Data(data).range(of: Data(needle), in: start..<data.count) {
                pages.insert(range.lowerBound / 4_096)
                start = range.upperBound
            }
            try #require(!pages.isEmpty, "thing-4's posting block was not found")
            // The high byte of each page's first node offset: past the page's end.
            for page in pages { data[page * 4_096 + 17] ^= 0x80 }
            try Data(data).write(to: file)

            for arguments in [["stats"], ["read", "--target", "thing-4"]] {
                let refused = try fx.run(arguments + ["--store", fx.store])
                #expect(refused.status == Exit.storage, "\(arguments): \(refused)")
                #expect(refused.errors.contains("the log's indexes have damaged pages"), "\(arguments): \(refused)")
                #expect(refused.errors.contains("run 'annals reindex'"), "\(arguments): \(refused)")
            }
            #expect(try fx.annals("read", "--limit", "3").objects().count == 3, "reads by offset do not need it")

            let repaired = try fx.annals("reindex")
            #expect(repaired.status == Exit.ok, "\(repaired)")
            #expect(try fx.annals("stats").status == Exit.ok)
            #expect(try fx.annals("verify", "--indexes").status == Exit.ok)
            #expect(try fx.annals("read", "--target", "thing-4").objects().count == 27)
        }
    }
}
