import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An `--async` job's runner waits for a slot of its organization (`--job-concurrency`): slot lock files beside the
/// store that the runners hold while their jobs run, so the limit holds however many other executions were recorded
/// since, and a runner that dies frees its slot.
@Suite("annals plugin run --async: the organization's job slots")
struct CLIPluginJobSlotTests {
    /// Expects job `id` to stay queued for `seconds`.
    static func expectQueued(_ fx: CLIFixture, _ id: String, for seconds: Double) throws {
        let deadline = Date(timeIntervalSinceNow: seconds)
        repeat {
            let events = try fx.executionEvents(id)
            try #require(events == ["plugin_job_queued"], "job \(id) did not wait for the slot: \(events)")
            usleep(100_000)
        } while Date() < deadline
    }

    /// The runner counted the running executions among the newest 1,000 recorded ones, reading each one's stream on
    /// every poll: after 1,000 others (synchronous runs, deliveries, other jobs), a job still running was no longer
    /// seen and a second one started beside it (a few seconds later: each poll took that long, a processor kept
    /// busy for as long as the job waited).
    @Test("with --job-concurrency 1, a job waits for a running one however many executions came since, then runs")
    func slotHeldPastAThousandExecutions() throws {
        try withPlugins(["runaway", "echo"]) { fx in
            let first = try fx.startEndlessJob()

            let second = try fx.submitJob("echo", "echo", ["--job-concurrency", "1"])
            let runner = try #require(try fx.runnerProcess(of: second))
            try Self.expectQueued(fx, second, for: 0.5)

            // 1,001 synchronous runs recorded while both wait, as `plugin run` records them (appended: running them
            // would take minutes). Appended after the second job's submission, whose `plugin run` would otherwise
            // spend seconds looking for abandoned executions among them.
            try fx.append(
                (1...1_001).flatMap { i in
                    [
                        #"{"type":"plugin_action_initiated","targetId":"execution:run-\#(i)","groupId":"acme","#
                            + #""metadata":{"correlationId":"run-\#(i)","plugin":"echo","action":"echo"}}"#,
                        #"{"type":"plugin_action_executed","targetId":"execution:run-\#(i)","groupId":"acme","#
                            + #""metadata":{"correlationId":"run-\#(i)"}}"#,
                    ]
                })
            try Self.expectQueued(fx, second, for: 0.5)
            // Waiting costs next to nothing: it read up to 1,000 execution streams every 50 ms.
            let before = try #require(CLIFixture.processorSeconds(of: runner))
            try Self.expectQueued(fx, second, for: 2)
            let used = try #require(CLIFixture.processorSeconds(of: runner)) - before
            #expect(used < 0.5, "the waiting runner used \(used) s of processor time in 2 s")

            // The first ends (its runner records its outcome, then frees the slot); the second runs at once.
            let cancel = try fx.annals("plugin", "cancel", first)
            #expect(cancel.status == Exit.ok, "\(cancel)")
            #expect(
                try waitUntil(timeout: 60, interval: 0.05) {
                    try fx.executionEvents(second).last == "plugin_action_executed"
                }, "the second job did not run within 60 s of the first one's end")
            let ended = try #require(try fx.executionEventOffset(first, "plugin_action_failed"))
            let started = try #require(try fx.executionEventOffset(second, "plugin_action_initiated"))
            #expect(ended < started, "the second job started while the first one ran")
        }
    }

    @Test("a runner killed with SIGKILL frees its slot: the job waiting for it runs, and nobody cleans up")
    func killedRunnerFreesItsSlot() throws {
        try withPlugins(["runaway", "echo"]) { fx in
            let first = try fx.startEndlessJob()
            let runner = try #require(try fx.runnerProcess(of: first))
            let second = try fx.submitJob("echo", "echo", ["--job-concurrency", "1"])
            try Self.expectQueued(fx, second, for: 0.5)

            #expect(kill(runner, SIGKILL) == 0)
            #expect(
                try waitUntil(timeout: 30, interval: 0.05) {
                    try fx.executionEvents(second).last == "plugin_action_executed"
                })
            // Its file is still there (acme's slot 0): the lock on it, which went with the process, held the slot.
            #expect(FileManager.default.fileExists(atPath: fx.store + "/job-slots/61636d65-0.lock"))
        }
    }

    @Test("--job-concurrency takes 1…256, with --async only (exit 64)")
    func jobConcurrencyRange() throws {
        try withPlugins(["echo"]) { fx in
            for (arguments, message) in [
                (["--async", "--job-concurrency", "0"], "--job-concurrency must be within 1…256"),
                (["--async", "--job-concurrency", "257"], "--job-concurrency must be within 1…256"),
                (["--job-concurrency", "2"], "--job-concurrency applies to --async jobs only"),
            ] {
                let refused = try fx.run(
                    ["plugin", "run", "echo", "echo", "--group", "acme"] + arguments + ["--store", fx.store])
                #expect(refused.status == Exit.invalidArguments, "\(refused)")
                #expect(refused.errors.contains(message), "\(refused)")
            }
        }
    }
}
