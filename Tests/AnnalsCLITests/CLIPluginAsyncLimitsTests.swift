import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("annals plugin run --async: the job runs with the limits it was queued with")
struct CLIPluginAsyncLimitsTests {
    @Test("a fuel budget past Int64.max reaches the job's runner, and its initiated event records it")
    func fuelPastInt64Max() throws {
        try withPlugins(["echo"]) { fx in
            let fuel = "10000000000000000000"  // more than Int64.max, less than UInt64.max
            let submitted = try fx.annals(
                "plugin", "run", "echo", "echo", "--group", "acme", "--async", "--fuel", fuel, "--memory-pages", "100",
                "--timeout", "7.5")
            try #require(submitted.status == Exit.ok, "\(submitted)")
            let job = try #require(try submitted.object().string("job"))
            var state: String?
            for _ in 0..<200 {
                state = try fx.annals("plugin", "jobs", "--group", "acme").objects().first { $0.string("id") == job }?
                    .string("state")
                if state == "executed" { break }
                usleep(50_000)
            }
            #expect(state == "executed")
            let queued = try fx.annals("read", "--target", "execution:\(job)", "--type", "plugin_job_queued")
            let initiated = try fx.annals("read", "--target", "execution:\(job)", "--type", "plugin_action_initiated")
            for recorded in [queued, initiated] {
                #expect(recorded.output.contains(#""fuel":\#(fuel)"#), "\(recorded)")
                #expect(recorded.output.contains(#""memoryPages":100"#), "\(recorded)")
                #expect(recorded.output.contains(#""timeoutMs":7500"#), "\(recorded)")
            }
        }
    }

    @Test("a job queued with --memory-pages 400 runs a module that starts with 300 pages, over the default of 256")
    func memoryPagesReachTheModuleCheck() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            defer { fx.killJobRunners() }
            try fx.installBuiltPlugin("big-memory", CLIFixture.emptyObjectModule(memoryPages: 300))

            let job = try fx.submitJob("big-memory", "run", ["--memory-pages", "400"])
            // Its outcome, within 30 s (a runner that dies before the execution records none).
            _ = try waitUntil(timeout: 30, interval: 0.05) { try fx.executionEvents(job).count > 2 }
            let events = try fx.executionEvents(job)
            #expect(events == ["plugin_job_queued", "plugin_action_initiated", "plugin_action_executed"], "\(events)")
            let state = try fx.annals("plugin", "jobs", "--group", "acme").objects().first { $0.string("id") == job }?
                .string("state")
            #expect(state == "executed")
            let initiated = try fx.annals("read", "--target", "execution:\(job)", "--type", "plugin_action_initiated")
            #expect(initiated.output.contains(#""memoryPages":400"#), "\(initiated)")
        }
    }
}
