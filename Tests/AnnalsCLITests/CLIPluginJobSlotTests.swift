import Testing

/// An `--async` job's runner waits for a slot of its organization: `--job-concurrency` of them.
@Suite("annals plugin run --async: the organization's job slots")
struct CLIPluginJobSlotTests {
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
