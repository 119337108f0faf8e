import Annals
import AnnalsPlatform
import AnnalsSandbox
import Foundation
import Testing

/// The jobs a runtime accepts with `submit` take the organization's slots (lock files beside the store) as the
/// runners of `annals plugin run --async` do, so one `jobConcurrency` holds across the processes on a store. Two
/// runtimes on one store stand for two processes here: their slots' descriptors conflict as another process's would.
@Suite("Job slots shared by the runtimes on a store")
struct PluginJobSlotTests {
    /// Runs until cancelled: its time limit is far above any wait of the test on a loaded machine.
    static let endless = SandboxLimits(fuel: .max, timeout: .seconds(180))

    @Test("jobs submitted to two runtimes on one store share the organization's slots")
    func runtimesShareSlots() async throws {
        try await withRuntime(installing: ["runaway", "echo"], limits: Self.endless, jobConcurrency: 1) {
            runtime, platform, _ in
            _ = try await platform.install("echo", organization: "beta", actorId: "ana")
            let other = PluginRuntime(store: runtime.store, limits: Self.endless, jobConcurrency: 1)
            let first = try await runtime.submit(
                "runaway", action: "run", organization: "acme", input: "{}", actorId: "ana")
            try await waitUntilRunning(runtime, first.id)
            let second = try await other.submit(
                "echo", action: "echo", organization: "acme", input: "{}", actorId: "ana")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try runtime.job(second.id)?.state == .queued)
            // Another organization's slots are its own.
            let elsewhere = try await other.submit(
                "echo", action: "echo", organization: "beta", input: "{}", actorId: "ana")
            #expect(await other.wait(forJob: elsewhere.id)?.succeeded == true)

            _ = try await runtime.cancel(job: first.id, actorId: "ana")
            #expect(await other.wait(forJob: second.id)?.succeeded == true)
            let ended = try #require(try executionEvents(runtime.store, first.id).last?.offset)
            let started = try #require(
                try executionEvents(runtime.store, second.id).dropFirst().first?.offset)
            #expect(ended < started)
        }
    }

    @Test(
        "a runner waits for the slot of a job accepted with submit, and a submitted job for a runner's")
    func submitAndRunnerShareSlots() async throws {
        try await withSlotHeld(limits: Self.endless) { runtime, other, first in
            // The other runtime stands for a `plugin run-job` runner in another process.
            let queued = try await other.submitToProcess(
                "echo", action: "echo", organization: "acme", input: "{}", actorId: "ana"
            ) { _ in getpid() }
            let runner = Task { try await other.runQueuedJob(queued.id, actorId: "ana") }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try runtime.job(queued.id)?.state == .queued)
            _ = try await runtime.cancel(job: first.id, actorId: "ana")
            #expect(await runtime.wait(forJob: first.id)?.failure?.kind == .cancelled)
            #expect(try await runner.value?.succeeded == true)

            // The reverse: the runner's job holds the slot; a job submitted meanwhile waits, and runs once it ends.
            let held = try await other.submitToProcess(
                "runaway", action: "run", organization: "acme", input: "{}", actorId: "ana"
            ) { _ in getpid() }
            let holder = Task { try await other.runQueuedJob(held.id, actorId: "ana") }
            try await waitUntilRunning(other, held.id)
            let waiting = try await runtime.submit(
                "echo", action: "echo", organization: "acme", input: "{}", actorId: "ana")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try runtime.job(waiting.id)?.state == .queued)
            #expect(try await runtime.cancel(job: held.id, actorId: "ana") == .running)
            #expect(try await holder.value?.failure?.kind == .cancelled)
            #expect(await runtime.wait(forJob: waiting.id)?.succeeded == true)
        }
    }
}
