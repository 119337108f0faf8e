import Foundation
import Testing

/// The commands that read more than the log and one view (rollback, snapshots, cursors and the plugin platform's
/// commands) check the pages they read first: a damaged page stops them with exit 5, naming it, and writes nothing.
@Suite struct CLIStatePagesTests {
    @Test func aDamagedViewPageStopsRollbackSnapshotsAndThePlatform() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(thingsWithAViewOnlyRecord())
            let head = try fx.headOffset()
            #expect(try fx.annals("rollback", "--to", "20", "--dry-run").status == Exit.ok)
            try #require(try damagePages(holding: viewOnlyRecord, in: fx.store) > 0)

            for command in [
                ["rollback", "--to", "20", "--dry-run"], ["rollback", "--to", "20"], ["snapshot", "create"],
                ["plugin", "jobs"], ["plugin", "dispatch"], ["plugin", "history", "echo", "--group", "org-a"],
            ] {
                let refused = try fx.run(command + ["--store", fx.store])
                #expect(refused.status == Exit.storage, "\(command): \(refused)")
                #expect(refused.errors.contains("the pages of the things"), "\(command): \(refused)")
                #expect(refused.errors.contains("annals rebuild things"), "\(command): \(refused)")
            }
            #expect(try fx.headOffset() == head, "nothing was appended")

            #expect(try fx.annals("rebuild", "things").status == Exit.ok)
            let plan = try fx.annals("rollback", "--to", "20", "--dry-run")
            #expect(plan.status == Exit.ok, "\(plan)")
            #expect(plan.objects().count == 21, "the things created after offset 20 and thing-7's update")
        }
    }

    /// Every open reads `meta`, and a writable one used to give a store without a readable format version a new one
    /// (and a new nonce) in place: on a damaged page, which a later open then crashed on.
    @Test func aDamagedMetaPageRefusesEveryOpenAndChangesNothing() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(30))
            try #require(try damagePages(holding: "format.version", in: fx.store) > 0)
            let file = URL(fileURLWithPath: fx.store + "/data.mdb")
            let damaged = try Data(contentsOf: file)

            for command in [["append"], ["head"], ["verify"], ["cursors", "reset", "c", "--to", "1"], ["append"]] {
                let refused = try fx.run(
                    command + ["--store", fx.store], stdin: Array((sampleLines(1, start: 30)[0] + "\n").utf8))
                #expect(refused.status == Exit.storage, "\(command): \(refused)")
                #expect(refused.errors.contains("reads are damaged: page"), "\(command): \(refused)")
                #expect(refused.errors.contains(" of meta: "), "\(command): \(refused)")
            }
            #expect(try Data(contentsOf: file) == damaged, "no open wrote to the damaged store")
        }
    }

    /// A writable open checks the pages appends write to, such as the stream versions: an append into a damaged
    /// `streams` leaf died of an assertion inside LMDB.
    @Test func aDamagedStreamsPageRefusesWritableOpens() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append([eventLine(type: "note.added", target: "stream-marker-6061")] + sampleLines(30))
            let file = URL(fileURLWithPath: fx.store + "/data.mdb")
            let pages = try damagePages(holding: "stream-marker-6061", in: fx.store)
            try #require(pages > 0)
            let damaged = try Data(contentsOf: file)

            for command in [["append"], ["cursors", "reset", "c", "--to", "1"]] {
                let refused = try fx.run(
                    command + ["--store", fx.store], stdin: Array((sampleLines(1, start: 30)[0] + "\n").utf8))
                #expect(refused.status == Exit.storage, "\(command): \(refused)")
                #expect(
                    refused.errors.contains("an open for writing reads are damaged: page"), "\(command): \(refused)")
            }
            #expect(try Data(contentsOf: file) == damaged, "nothing was written")
        }
    }

    @Test func aDamagedCursorPageStopsTheCommandsThatReadCursors() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(30))
            #expect(try fx.annals("cursors", "reset", "cursor-marker-5150", "--to", "10").status == Exit.ok)
            #expect(try fx.annals("cursors", "list").objects().count == 1)
            try #require(try damagePages(holding: "cursor-marker-5150", in: fx.store) > 0)

            for command in [
                ["cursors", "list"], ["cursors", "show", "cursor-marker-5150"],
                ["tail", "--cursor", "cursor-marker-5150"], ["plugin", "subscriptions"],
            ] {
                let refused = try fx.run(command + ["--store", fx.store])
                #expect(refused.status == Exit.storage, "\(command): \(refused)")
                #expect(refused.errors.contains("damaged"), "\(command): \(refused)")
                #expect(refused.errors.contains("cursors"), "\(command): \(refused)")
            }
            let read = try fx.annals("read", "--limit", "5")
            #expect(read.status == Exit.ok, "the log is sound: \(read)")
        }
    }
}
