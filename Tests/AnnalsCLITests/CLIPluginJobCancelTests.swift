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
        try withPlugins(["runaway", "echo"]) { fx in
            // A job that runs until it is cancelled takes the organization's one slot, so the job below waits in its
            // runner, queued.
            let running = try fx.startEndlessJob()
            let held = try fx.submitJob("echo", "echo", ["--job-concurrency", "1"])
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
            #expect(try fx.annals("plugin", "cancel", running).status == Exit.ok)
        }
    }

    /// A dispatch delivery runs in the dispatcher's batch, which watches no cancel requests: `plugin cancel` printed
    /// `running` and recorded one that nothing acted on. It is refused now, and nothing is recorded.
    @Test("plugin cancel of a running dispatch delivery exits 2 and records nothing")
    func runningDeliveryIsRefused() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append([
                #"{"type":"plugin_action_initiated","targetId":"execution:delivery-1","groupId":"acme","#
                    + #""metadata":{"correlationId":"delivery-1","plugin":"echo","action":"on_event","#
                    + #""trigger":{"kind":"event","eventOffset":1},"host":{"pid":1,"hostname":"another-host.invalid"}}}"#
            ])
            let head = try fx.head().int("offset")
            let cancel = try fx.annals("plugin", "cancel", "delivery-1")
            #expect(cancel.status == Exit.invalidInput, "\(cancel)")
            #expect(
                cancel.errors.contains("is a delivery of 'plugin dispatch', which cannot be cancelled"), "\(cancel)")
            #expect(try fx.head().int("offset") == head)
        }
    }

    /// `plugin jobs` lists a running `plugin run`; `plugin cancel` printed `running` for it and recorded a request
    /// that nothing watched, so the run went on to its time limit.
    @Test("a running plugin run is stopped by plugin cancel from another process")
    func runningRunIsCancelled() throws {
        try withPlugins(["runaway"]) { fx in
            let run = try fx.start([
                "plugin", "run", "runaway", "run", "--group", "acme", "--fuel", "100000000000000", "--timeout", "300",
                "--store", fx.store,
            ])
            var running: String?
            #expect(
                try waitUntil(timeout: 30, interval: 0.1) {
                    running = try fx.annals("plugin", "jobs", "--group", "acme").objects().first {
                        $0.string("plugin") == "runaway" && $0.string("state") == "running"
                    }?.string("id")
                    return running != nil
                })
            let id = try #require(running)
            let cancel = try fx.annals("plugin", "cancel", id)
            #expect(cancel.status == Exit.ok, "\(cancel)")
            #expect(try cancel.object().string("state") == "running")
            // Its errorKind, not the time it took, tells the cancellation from its time limit (300 s, longer than
            // this wait): a loaded machine may take seconds to deliver it.
            let outcome = run.finish(timeout: 120)
            #expect(outcome.status == 13, "\(outcome)")
            #expect(try outcome.object().string("errorKind") == "cancelled", "\(outcome)")
        }
    }
}
