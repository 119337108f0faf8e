import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("annals plugin cancel of a job its runner holds queued")
struct CLIPluginJobCancelTests {
    @Test("a queued --async job is cancelled at once, prints cancelled, and never starts")
    func queuedJobIsCancelled() throws {
        let registry = RepositoryPaths.examplePlugins + "/registry.json"
        try #require(FileManager.default.fileExists(atPath: registry), "run `make plugins` first")
        try withCLIFixture { fx in
            try fx.initStore()
            try #require(try fx.annals("plugin", "sync", registry).status == Exit.ok)
            try #require(try fx.annals("plugin", "install", "echo", "--group", "acme").status == Exit.ok)
            // Four executions running on another host take the organization's four job slots (a runner counts
            // those as alive), so the job below waits in its runner, queued.
            try fx.append(
                (1...4).map { i in
                    #"{"type":"plugin_action_initiated","targetId":"execution:elsewhere-\#(i)","groupId":"acme","#
                        + #""metadata":{"correlationId":"elsewhere-\#(i)","plugin":"echo","action":"echo","#
                        + #""host":{"pid":1,"hostname":"another-host.invalid"}}}"#
                })
            let submitted = try fx.annals("plugin", "run", "echo", "echo", "--group", "acme", "--async")
            try #require(submitted.status == Exit.ok, "\(submitted)")
            let held = try #require(try submitted.object().string("job"))
            func state() throws -> String? {
                try fx.annals("plugin", "jobs", "--group", "acme").objects().first { $0.string("id") == held }?
                    .string("state")
            }
            usleep(300_000)
            #expect(try state() == "queued")

            let cancel = try fx.annals("plugin", "cancel", held)
            #expect(cancel.status == Exit.ok, "\(cancel)")
            #expect(try cancel.object().string("state") == "cancelled")
            #expect(try state() == "cancelled")
            // Its runner gives up without starting it.
            usleep(300_000)
            let events = try fx.annals("read", "--target", "execution:\(held)").objects().compactMap {
                $0.string("type")
            }
            #expect(events == ["plugin_job_queued", "plugin_job_cancelled"])
        }
    }
}
