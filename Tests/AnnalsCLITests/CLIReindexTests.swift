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
}
