import Annals
import AnnalsPlatform
import AnnalsSandbox
import Testing

@Suite("Cancelling a job that another runtime accepted with submit")
struct PluginJobCrossProcessCancelTests {
    @Test("a running job is stopped by a cancel from another runtime, through its cancel stream")
    func runningJobIsStopped() async throws {
        // A timeout far longer than a cancellation takes even on a loaded machine: the failure's kind, not the time
        // it took, tells a cancellation from a timeout.
        try await withRuntime(installing: ["runaway"], limits: SandboxLimits(fuel: .max, timeout: .seconds(120))) {
            runtime, _, _ in
            let ticket = try await runtime.submit(
                "runaway", action: "run", organization: "acme", input: "{}", actorId: "ana")
            try await waitUntilRunning(runtime, ticket.id)
            // Another runtime on the store, as `annals plugin cancel` in another process: it holds no token of the job.
            let other = PluginRuntime(store: runtime.store)
            #expect(try await other.cancel(job: ticket.id, actorId: "ops") == .running)
            let outcome = try #require(await runtime.wait(forJob: ticket.id))
            #expect(outcome.failure?.kind == .cancelled, "\(String(describing: outcome.failure))")
            #expect(try runtime.job(ticket.id)?.errorKind == "cancelled")
        }
    }

    @Test("a queued job cancelled from another runtime never starts there")
    func queuedJobNeverStarts() async throws {
        try await withRuntime(
            installing: ["runaway"], limits: SandboxLimits(fuel: .max, timeout: .seconds(180)), jobConcurrency: 1
        ) { runtime, _, _ in
            let first = try await runtime.submit(
                "runaway", action: "run", organization: "acme", input: "{}", actorId: "ana")
            let second = try await runtime.submit(
                "runaway", action: "run", organization: "acme", input: "{}", actorId: "ana")
            try await waitUntilRunning(runtime, first.id)
            let other = PluginRuntime(store: runtime.store)
            #expect(try await other.cancel(job: second.id, actorId: "ops") == .cancelled)
            // The first ends; the second's turn comes, and it does not start.
            _ = try await runtime.cancel(job: first.id, actorId: "ana")
            _ = await runtime.wait(forJob: first.id)
            #expect(await runtime.wait(forJob: second.id) == nil)
            #expect(try runtime.job(second.id)?.state == .cancelled)
            #expect(
                try executionEvents(runtime.store, second.id).map(\.type) == [
                    "plugin_job_queued", "plugin_job_cancelled",
                ])
        }
    }
}
