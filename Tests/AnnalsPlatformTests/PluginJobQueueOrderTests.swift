import Annals
import AnnalsPlatform
import AnnalsSandbox
import Foundation
import Testing

/// Jobs waiting for an organization's slot start in the order they were queued (their `plugin_job_queued` offsets),
/// whichever process waits for them: each holds a ticket in `<store>/job-slots/HEX-queue` while it waits, and takes
/// a free slot only when no older ticket is held. Two runtimes on one store stand for two processes here: their
/// tickets' descriptors conflict as another process's would.
@Suite("Jobs waiting in several runtimes start in the order they were queued")
struct PluginJobQueueOrderTests {
    /// Runs until cancelled: its time limit is far above any wait of the test on a loaded machine.
    static let endless = SandboxLimits(fuel: .max, timeout: .seconds(180))

    /// The tickets held in `acme`'s queue beside `store`.
    static func tickets(_ store: EventStore) -> [String] {
        let directory = store.path + "/job-slots/61636d65-queue"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".ticket") }.sorted()
    }

    /// The offset of the `plugin_action_initiated` event of job `id`.
    static func initiatedOffset(_ store: EventStore, _ id: String) throws -> UInt64? {
        try executionEvents(store, id).first { $0.type == ExecutionEventType.initiated }?.offset
    }

    /// Submits an `echo` job of `acme` to `runtime`.
    static func echo(_ runtime: PluginRuntime) async throws -> JobTicket {
        try await runtime.submit("echo", action: "echo", organization: "acme", input: "{}", actorId: "ana")
    }

    @Test("jobs queued alternately in two runtimes start in the order of their queued offsets once the slot frees")
    func alternateRuntimesStartInOrder() async throws {
        try await withSlotHeld(limits: Self.endless) { runtime, other, first in
            // The runtime holding the slot starts its own waiting jobs as soon as its job ends; the other only
            // looks every 50 ms: without the queue, the first one's jobs would all run before the other's.
            var queued: [(PluginRuntime, JobTicket)] = []
            for index in 0..<6 {
                let owner = index.isMultiple(of: 2) ? runtime : other
                let ticket = try await Self.echo(owner)
                queued.append((owner, ticket))
            }
            #expect(Self.tickets(runtime.store).count == 2, "one per runtime: its oldest waiting job's")
            #expect(queued.map(\.1.queuedOffset) == queued.map(\.1.queuedOffset).sorted())

            _ = try await runtime.cancel(job: first.id, actorId: "ana")
            for (owner, ticket) in queued { #expect(await owner.wait(forJob: ticket.id)?.succeeded == true) }
            let started = try queued.map { try #require(try Self.initiatedOffset(runtime.store, $0.1.id)) }
            #expect(started == started.sorted(), "the jobs started out of their queued order")
            #expect(Self.tickets(runtime.store).isEmpty)
        }
    }

    @Test("a runtime holds one ticket per organization however many of its jobs wait, passed on as they start")
    func oneTicketPerRuntime() async throws {
        try await withSlotHeld(limits: Self.endless) { runtime, other, first in
            var queued: [JobTicket] = []
            for _ in 0..<5 { queued.append(try await Self.echo(runtime)) }
            let oldest =
                String(repeating: "0", count: 20 - String(queued[0].queuedOffset).count)
                + String(queued[0].queuedOffset) + ".ticket"
            #expect(Self.tickets(runtime.store) == [oldest])
            // Cancelling the oldest passes its place to the next, which other runtimes' younger jobs still wait for.
            #expect(try await runtime.cancel(job: queued[0].id, actorId: "ana") == .cancelled)
            #expect(Self.tickets(runtime.store).count == 1 && Self.tickets(runtime.store) != [oldest])
            let younger = try await Self.echo(other)
            _ = try await runtime.cancel(job: first.id, actorId: "ana")
            for ticket in queued.dropFirst() { #expect(await runtime.wait(forJob: ticket.id)?.succeeded == true) }
            #expect(await other.wait(forJob: younger.id)?.succeeded == true)
            let started = try (queued.dropFirst() + [younger]).map {
                try #require(try Self.initiatedOffset(runtime.store, $0.id))
            }
            #expect(started == started.sorted(), "the jobs started out of their queued order")
            #expect(Self.tickets(runtime.store).isEmpty)
        }
    }

    @Test("a runner waits behind a job queued before it in another runtime, and one queued after it waits behind it")
    func runnerKeepsItsPlace() async throws {
        try await withSlotHeld(limits: Self.endless) { runtime, other, first in
            // The other runtime stands for a `plugin run-job` runner in another process.
            let older = try await Self.echo(runtime)
            let queued = try await other.submitToProcess(
                "echo", action: "echo", organization: "acme", input: "{}", actorId: "ana"
            ) { _ in getpid() }
            let runner = Task { try await other.runQueuedJob(queued.id, actorId: "ana") }
            // Its ticket is made once the runner has read its queued event.
            for _ in 0..<6_000 where Self.tickets(runtime.store).count < 2 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(Self.tickets(runtime.store).count == 2)
            let younger = try await Self.echo(runtime)

            _ = try await runtime.cancel(job: first.id, actorId: "ana")
            #expect(await runtime.wait(forJob: older.id)?.succeeded == true)
            #expect(try await runner.value?.succeeded == true)
            #expect(await runtime.wait(forJob: younger.id)?.succeeded == true)
            let started = try [older.id, queued.id, younger.id].map {
                try #require(try Self.initiatedOffset(runtime.store, $0))
            }
            #expect(started == started.sorted(), "the jobs started out of their queued order")
        }
    }

    @Test("a queued job cancelled in its runtime or from another one does not hold back the jobs queued after it")
    func cancelledJobsLeaveTheQueue() async throws {
        try await withSlotHeld(limits: Self.endless) { runtime, other, first in
            let here = try await Self.echo(other)
            let elsewhere = try await Self.echo(other)
            let last = try await Self.echo(runtime)
            // One per runtime: its oldest waiting job's.
            let before = Self.tickets(runtime.store)
            #expect(before.count == 2)

            // Cancelled by the runtime that holds it: its ticket goes at once, and the next job there takes one.
            #expect(try await other.cancel(job: here.id, actorId: "ana") == .cancelled)
            let after = Self.tickets(runtime.store)
            #expect(after.count == 2 && after != before)
            // Cancelled from another runtime: the one holding it finds out at its next look (every 50 ms), while
            // the slot is still held, and passes its place on.
            #expect(try await runtime.cancel(job: elsewhere.id, actorId: "ana") == .cancelled)
            #expect(await other.wait(forJob: elsewhere.id) == nil)
            for _ in 0..<200 where Self.tickets(runtime.store).count != 1 {
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(Self.tickets(runtime.store).count == 1, "only the last job's ticket is left")
            #expect(try runtime.job(first.id)?.state == .running, "before the slot was freed")

            _ = try await runtime.cancel(job: first.id, actorId: "ana")
            #expect(await runtime.wait(forJob: last.id)?.succeeded == true)
            #expect(try runtime.job(here.id)?.state == .cancelled)
            #expect(try runtime.job(elsewhere.id)?.state == .cancelled)
            #expect(Self.tickets(runtime.store).isEmpty)
        }
    }
}
