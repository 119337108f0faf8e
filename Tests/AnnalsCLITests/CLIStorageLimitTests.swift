import Foundation
import Testing

/// `annals append` and `annals backup` when a data file cannot grow (here through the file size limit,
/// `ulimit -f`, which needs no privileges; a full disk fails the same way): exit code 5, a message naming the limit
/// and the free space, every acknowledged event intact, no partial backup, and writes resume once the limit is gone.
@Suite("CLI: storage limits")
struct CLIStorageLimitTests {
    @Test func anAppendStoppedByTheFileSizeLimitKeepsWhatItAcknowledged() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let input = fx.directory + "/events.jsonl"
            try (sampleLines(30_000).joined(separator: "\n") + "\n").write(
                toFile: input, atomically: true, encoding: .utf8)
            let limitedKiB = 1_024
            let script = """
                ulimit -f \(limitedKiB) && exec \(shellQuoted(fx.binary)) append --store \(shellQuoted(fx.store)) \
                --file \(shellQuoted(input))
                """
            let limited = try runShell(script, directory: fx.directory)
            #expect(limited.status == Exit.storage, "\(limited)")
            #expect(limited.errors.contains("mdb_txn_commit failed"), "\(limited)")
            #expect(limited.errors.contains("ulimit -f"), "\(limited)")
            #expect(limited.errors.contains("the file system holding \(fx.store) has"), "\(limited)")
            let receipts = limited.objects()
            #expect(!receipts.isEmpty && receipts.count < 30_000, "\(receipts.count) receipts")
            #expect(
                limited.errors.hasSuffix(
                    "; events through offset \(receipts.count) (line \(receipts.count)) were appended, later lines were "
                        + "not\n"), "the message says how far the input got: \(limited)")

            let verified = try fx.annals("verify")
            #expect(verified.status == Exit.ok, "\(verified)")
            #expect(try fx.headOffset() == receipts.count, "every acknowledged event is there, and nothing else")
            let events = try fx.readAll()
            #expect(events.map { $0.int("offset") } == receipts.map { $0.int("offset") })

            let resumed = try fx.annals("append", stdin: sampleLines(3, start: receipts.count).joined(separator: "\n"))
            #expect(resumed.status == Exit.ok, "\(resumed)")
            #expect(try fx.headOffset() == receipts.count + 3)
        }
    }

    @Test func aBackupStoppedByTheFileSizeLimitLeavesNoPartialCopy() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(20_000))
            // Two levels the backup creates: a failed copy removes both.
            let destination = fx.directory + "/new/backup"
            let limited = try runShell(
                "ulimit -f 256 && exec \(shellQuoted(fx.binary)) backup --store \(shellQuoted(fx.store)) "
                    + shellQuoted(destination), directory: fx.directory)
            #expect(limited.status == Exit.storage, "\(limited)")
            #expect(limited.errors.contains("mdb_env_copy2(\(destination)) failed"), "\(limited)")
            #expect(limited.errors.contains("ulimit -f"), "\(limited)")
            #expect(!FileManager.default.fileExists(atPath: fx.directory + "/new"), "the failed copy left its parent")

            let backup = try fx.run(["backup", "--store", fx.store, destination])
            #expect(backup.status == Exit.ok, "\(backup)")
            #expect(try fx.headOffset(destination) == 20_000)
            #expect(try fx.annals("verify", store: destination).status == Exit.ok)
        }
    }
}
