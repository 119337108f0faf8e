import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The runners of `--async` jobs waiting for a slot start their jobs in the order the jobs were queued: each holds a
/// ticket, `<store>/job-slots/HEX-queue/OFFSET.ticket`, while it waits, and takes a free slot only when no older
/// ticket is held; a runner that dies or a job that is cancelled holds no one back.
@Suite("annals plugin run --async: waiting jobs start in the order they were queued")
struct CLIPluginJobQueueOrderTests {
    /// The tickets in `acme`'s queue.
    static func tickets(_ fx: CLIFixture) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fx.store + "/job-slots/61636d65-queue")) ?? []
        return names.filter { $0.hasSuffix(".ticket") }.sorted()
    }

    /// Queues an `echo` job with one slot for the organization, and waits up to 30 s for its runner to hold its
    /// ticket (the `count`th): until then it does not compete. Returns its id.
    static func queueEcho(_ fx: CLIFixture, tickets count: Int) throws -> String {
        let id = try fx.submitJob("echo", "echo", ["--job-concurrency", "1"])
        try #require(
            waitUntil(timeout: 30, interval: 0.05) { tickets(fx).count == count },
            "the runner of job \(id) did not take its ticket: \(tickets(fx))")
        return id
    }

    /// Runs `body` with a fixture, an endless job holding `acme`'s one slot (`--job-concurrency 1`), and the ids of
    /// `count` `echo` jobs queued behind it one after the other, each runner holding its ticket.
    static func withQueued(_ count: Int, _ body: (CLIFixture, String, [String]) throws -> Void) throws {
        try withPlugins(["runaway", "echo"]) { fx in
            let first = try fx.startEndlessJob()
            try body(fx, first, try (1...count).map { try queueEcho(fx, tickets: $0) })
        }
    }

    /// Waits up to 60 s for job `id` to have run.
    static func expectExecuted(_ fx: CLIFixture, _ id: String) throws {
        let ran = try waitUntil(timeout: 60, interval: 0.05) {
            try fx.executionEvents(id).last == "plugin_action_executed"
        }
        let events = try fx.executionEvents(id)
        #expect(ran, "job \(id) did not run: \(events)")
    }

    @Test("with --job-concurrency 1, jobs queued by five runners start in the order of their queued offsets")
    func runnersStartInQueuedOrder() throws {
        try Self.withQueued(5) { fx, first, queued in

            #expect(try fx.annals("plugin", "cancel", first).status == Exit.ok)
            for id in queued { try Self.expectExecuted(fx, id) }
            let enqueued = try queued.map { try #require(try fx.executionEventOffset($0, "plugin_job_queued")) }
            let started = try queued.map { try #require(try fx.executionEventOffset($0, "plugin_action_initiated")) }
            #expect(enqueued == enqueued.sorted())
            #expect(started == started.sorted(), "the jobs started out of their queued order")
            #expect(Self.tickets(fx).isEmpty)
        }
    }

    @Test("a runner killed with SIGKILL while it holds the oldest ticket does not hold back the younger jobs")
    func killedWaiterHoldsNoOneBack() throws {
        try Self.withQueued(2) { fx, first, queued in
            let (killed, younger) = (queued[0], queued[1])
            let runner = try #require(try fx.runnerProcess(of: killed))
            #expect(kill(runner, SIGKILL) == 0)

            #expect(try fx.annals("plugin", "cancel", first).status == Exit.ok)
            try Self.expectExecuted(fx, younger)
            #expect(try !fx.executionEvents(killed).contains("plugin_action_initiated"))
            // The dead runner's ticket was removed by the younger one's runner, which then left its own.
            #expect(Self.tickets(fx).isEmpty)
        }
    }

    @Test("a queued job cancelled while older than others does not hold them back")
    func cancelledWaiterHoldsNoOneBack() throws {
        try Self.withQueued(2) { fx, first, queued in
            let (cancelled, younger) = (queued[0], queued[1])
            let cancel = try fx.annals("plugin", "cancel", cancelled)
            #expect(cancel.status == Exit.ok, "\(cancel)")
            // Its runner sees it at its next look, and leaves its ticket.
            #expect(waitUntil(timeout: 30, interval: 0.05) { Self.tickets(fx).count == 1 })

            #expect(try fx.annals("plugin", "cancel", first).status == Exit.ok)
            try Self.expectExecuted(fx, younger)
            #expect(try fx.executionEvents(cancelled) == ["plugin_job_queued", "plugin_job_cancelled"])
        }
    }
}
