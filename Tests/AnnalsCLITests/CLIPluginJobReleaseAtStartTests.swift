import AnnalsTestSupport
import Foundation
import Testing

@Suite("annals plugin run-job: a job runs the release installed when it takes its slot")
struct CLIPluginJobReleaseAtStartTests {
    @Test("a job whose action the release installed while it waited no longer declares is abandoned, saying why")
    func anUpdateWhileTheRunnerWaits() throws {
        try withPlugins(["runaway"]) { fx in
            let artifact = try fx.installBuiltPlugin("small", CLIFixture.emptyObjectModule())
            let running = try fx.startEndlessJob()
            let waiting = try fx.submitJob("small", "run", ["--job-concurrency", "1"])
            // Its runner prepared 1.0.0 and waits for the slot; 1.1.0, whose only action is `renamed`, is installed
            // meanwhile.
            try #require(try waitUntil(timeout: 30, interval: 0.05) { try fx.runnerProcess(of: waiting) != nil })
            var renamed = CLIFixture.emptyObjectModule()
            renamed.action = "renamed"
            let newer = fx.path("small-1.1.0.wasm")
            try Data(renamed.bytes).write(to: URL(fileURLWithPath: newer))
            let digest = { (path: String) in
                String(try runProcess("/usr/bin/env", ["sha256sum", path]).output.prefix(64))
            }
            let manifest =
                #"{"format": "annals.plugins/1", "plugins": [{"name": "small", "versions": ["#
                + #"{"version": "1.0.0", "actions": [{"name": "run"}], "artifact": {"path": "\#(artifact)", "sha256": "\#(try digest(artifact))"}}, "#
                + #"{"version": "1.1.0", "actions": [{"name": "renamed"}], "artifact": {"path": "\#(newer)", "sha256": "\#(try digest(newer))"}}]}]}"#
            try manifest.write(toFile: fx.path("small.json"), atomically: true, encoding: .utf8)
            #expect(try fx.annals("plugin", "sync", fx.path("small.json"), "--name", "small").status == Exit.ok)
            let updated = try fx.annals("plugin", "update", "small", "--group", "acme")
            #expect(updated.status == Exit.ok, "\(updated)")

            #expect(try fx.annals("plugin", "cancel", running).status == Exit.ok)
            let ended = try waitUntil(timeout: 60, interval: 0.05) {
                try fx.executionEvents(waiting).last == "plugin_action_abandoned"
            }
            #expect(ended, "the waiting job did not end as abandoned")
            #expect(try fx.executionEvents(waiting) == ["plugin_job_queued", "plugin_action_abandoned"])
            let abandoned = try fx.annals(
                "read", "--target", "execution:\(waiting)", "--type", "plugin_action_abandoned")
            #expect(abandoned.output.contains("its runner could not start it"), "\(abandoned)")
            #expect(abandoned.output.contains("renamed"), "\(abandoned)")
        }
    }
}
