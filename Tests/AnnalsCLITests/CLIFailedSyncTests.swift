import AnnalsTestSupport
import Foundation
import Testing

/// A sync that fails in the durability modes that defer syncs (`append --durability no-sync` and `no-meta-sync`):
/// `fdatasync` fails with EIO once, through `tools/faults/syscall-faults.c` preloaded into `annals`, and succeeds
/// again afterwards, as on Linux once the kernel has dropped the pages it could not write. Nothing committed since the
/// last good sync may be reported durable then, even though a later sync succeeds: the append exits 5 without a
/// receipt, the durable watermark stays where it was, and the store refuses further writes until it is reopened.
@Suite("CLI: a failed sync", .enabled(if: SyscallFaults.isBuilt))
struct CLIFailedSyncTests {
    /// The sync that fails: the first is the writer's open; the second, with `no-sync`, the sync `append` makes
    /// before printing its receipts (or the writer's periodic one, whichever comes first), and with `no-meta-sync`
    /// the data sync of the first commit.
    @Test(arguments: [("no-sync", 2), ("no-meta-sync", 2), ("no-meta-sync", 3)])
    func nothingIsReportedDurableAfterAFailedSync(durability: String, failingCall: Int) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let appended = try appendWithFaults(
                sampleLines(2), durability: durability, faults: "fdatasync-eio:\(failingCall)", fx)
            #expect(appended.status == Exit.storage, "\(appended)")
            #expect(appended.output.isEmpty, "a receipt was printed for an event not made durable: \(appended)")
            #expect(appended.errors.contains("Input/output error"), "\(appended)")
            #expect(
                appended.errors.contains("may not be on disk") && appended.errors.contains("accepts no more writes"),
                "\(appended)")
            // No later sync (the shim lets them succeed) moved the watermark: it stayed at 0.
            #expect(try fx.head().int("durableOffset") == 0)
            // Reopened, the store goes on.
            try expectReopenedStoreGoesOn(fx, appendingEvent: 2)
        }
    }

    /// With `no-meta-sync` an index merge is a commit like an append's, whose data sync also flushes the previous
    /// commit's meta page: when that sync fails, the store stops just the same. The first commit of the second
    /// `append` reaches the merge interval (16 384 events), so the merge that follows it makes the second data sync
    /// of a commit in that process; the batches after it are refused.
    @Test func aFailedIndexMergeStopsTheStore() throws {
        try withCLIFixture { fx in
            let appended = try appendPastTheMergeInterval(faults: "commit-fdatasync-eio:2", fx)
            #expect(appended.status == Exit.storage, "\(appended)")
            #expect(appended.errors.contains("Input/output error"), "\(appended)")
            #expect(appended.errors.contains("accepts no more writes"), "\(appended)")
            #expect(try fx.headOffset() < 16_383 + 2_000, "the batches after the failed merge were written")
            try expectReopenedStoreGoesOn(fx, appendingEvent: 18_383)
        }
    }

    /// A commit's data sync that fails (with `no-meta-sync`, the index merge's, as above) alongside the sync `append`
    /// makes before printing a batch's receipts: the kernel may report the write error to the merge alone, so the
    /// other sync's success proves nothing, and nothing past the last commit before it is reported durable.
    @Test func aSyncAlongsideAFailedCommitProvesNothing() throws {
        try withCLIFixture { fx in
            let appended = try appendPastTheMergeInterval(faults: "overlapped-commit-fdatasync-eio:2", fx)
            #expect(appended.status == Exit.storage, "\(appended)")
            #expect(appended.output.isEmpty, "a receipt was printed for an event not made durable: \(appended)")
            #expect(appended.errors.contains("accepts no more writes"), "\(appended)")
            // The first commit's data sync flushed the meta page of the last commit before it (of the fill).
            #expect(try fx.head().int("durableOffset") == 16_383)
        }
    }

    /// `annals append` of `lines` with `durability`, with `faults` injected (``SyscallFaults``).
    private func appendWithFaults(
        _ lines: [String], durability: String, faults: String, _ fx: CLIFixture
    ) throws -> CLIResult {
        try fx.run(
            ["append", "--durability", durability, "--store", fx.store],
            stdin: Array((lines.joined(separator: "\n") + "\n").utf8), environment: SyscallFaults.environment(faults))
    }

    /// Reopened by another `annals append`, the store takes the event numbered `event` and verifies intact.
    private func expectReopenedStoreGoesOn(_ fx: CLIFixture, appendingEvent event: Int) throws {
        let resumed = try fx.annals("append", stdin: sampleLines(1, start: event)[0])
        #expect(resumed.status == Exit.ok, "\(resumed)")
        #expect(try fx.annals("verify").status == Exit.ok)
    }

    /// Creates the store with 16,383 events, one short of the index merge interval, then appends 2,000 more with
    /// `no-meta-sync` and `faults` injected: the first commit reaches the interval, and the merge after it is the
    /// second commit of that process.
    private func appendPastTheMergeInterval(faults: String, _ fx: CLIFixture) throws -> CLIResult {
        try fx.initStore()
        try fx.append(sampleLines(16_383))
        return try appendWithFaults(
            sampleLines(2_000, start: 16_383), durability: "no-meta-sync", faults: faults, fx)
    }
}
