import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("annals plugin run-job: a module refused when the runner starts the job")
struct CLIPluginJobRunnerRefusalTests {
    @Test("a job whose artifact is removed after it was queued fails with moduleRefused, not abandoned")
    func refusedAtTheRunner() throws {
        try withPlugins(["runaway"]) { fx in
            let artifact = try fx.installBuiltPlugin("small", CLIFixture.emptyObjectModule())
            // The organization's one slot is held, so the job waits, queued, in its runner; that runner is killed
            // and the artifact removed, and a runner started here (as `plugin run --async` starts one) takes the job.
            let running = try fx.startEndlessJob()
            let held = try fx.submitJob("small", "run", ["--job-concurrency", "1", "--memory-pages", "100"])
            let runner = try #require(try fx.runnerProcess(of: held))
            #expect(kill(runner, SIGKILL) == 0)
            try FileManager.default.removeItem(atPath: artifact)
            #expect(try fx.executionEvents(held) == ["plugin_job_queued"])

            let ran = try fx.annals("plugin", "run-job", held, "--actor", "ana", "--job-concurrency", "1")
            #expect(ran.status == Exit.ok, "\(ran)")
            #expect(
                try fx.executionEvents(held) == [
                    "plugin_job_queued", "plugin_action_initiated", "plugin_action_failed",
                ])
            let failed = try fx.annals("read", "--target", "execution:\(held)", "--type", "plugin_action_failed")
            #expect(failed.output.contains(#""errorKind":"moduleRefused""#), "\(failed)")
            #expect(failed.output.contains("its artifact is missing"), "\(failed)")
            let initiated = try fx.annals("read", "--target", "execution:\(held)", "--type", "plugin_action_initiated")
            #expect(initiated.output.contains(#""memoryPages":100"#), "\(initiated)")
            // `plugin jobs` recovers abandoned executions first: this one has its outcome.
            let job = try fx.annals("plugin", "jobs", "--group", "acme").objects().first { $0.string("id") == held }
            #expect(job?.string("state") == "failed", "\(String(describing: job))")
            #expect(job?.string("errorKind") == "moduleRefused", "\(String(describing: job))")
            #expect(try fx.annals("plugin", "cancel", running).status == Exit.ok)
        }
    }
}
