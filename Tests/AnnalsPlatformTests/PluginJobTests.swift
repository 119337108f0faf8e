import Annals
import AnnalsPlatform
import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

@Suite("Plugin jobs and abandoned executions")
struct PluginJobTests {
    @Test("a job returns its id at once, runs, and records its status and result as events")
    func asyncJob() async throws {
        try await withRuntime(installing: ["price-quote"]) { runtime, _, _ in
            let ticket = try await runtime.submit(
                "price-quote", action: "quote", organization: "acme", input: #"{"symbol":"SOL","amount":3}"#,
                actorId: "ana")
            let outcome = try #require(await runtime.wait(forJob: ticket.id))
            #expect(outcome.succeeded)
            let status = try #require(try runtime.job(ticket.id))
            #expect(status.state == .executed)
            #expect(status.result?["symbol"]?.stringValue == "SOL")
            #expect(
                try executionEvents(runtime.store, ticket.id).map(\.type) == [
                    "plugin_job_queued", "plugin_action_initiated", "plugin_action_executed",
                ])
            #expect(try runtime.jobs(organization: "acme").first?.id == ticket.id)
        }
    }

    @Test("the organization's concurrency limit queues jobs; a queued job is cancelled before it starts")
    func concurrencyAndCancel() async throws {
        try await withRuntime(
            installing: ["runaway"], limits: SandboxLimits(fuel: .max, timeout: .seconds(180)), jobConcurrency: 1
        ) { runtime, _, _ in
            let first = try await runtime.submit(
                "runaway", action: "run", organization: "acme", input: "{}", actorId: "ana")
            let second = try await runtime.submit(
                "runaway", action: "run", organization: "acme", input: "{}", actorId: "ana")
            try await waitUntilRunning(runtime, first.id)
            #expect(try runtime.job(first.id)?.state == .running)
            #expect(try runtime.job(second.id)?.state == .queued)
            #expect(try await runtime.cancel(job: second.id, actorId: "ana") == .cancelled)
            #expect(try runtime.job(second.id)?.state == .cancelled)
            _ = try await runtime.cancel(job: first.id, actorId: "ana")
            let outcome = try #require(await runtime.wait(forJob: first.id))
            #expect(outcome.failure?.kind == .cancelled)
            #expect(try runtime.job(first.id)?.state == .failed)
            #expect(try runtime.job(first.id)?.errorKind == "cancelled")
        }
    }

    @Test("an execution whose process died without an outcome is recorded as abandoned at the next start")
    func abandoned() async throws {
        try await withRuntime(installing: ["price-quote"]) { runtime, _, _ in
            // A process that has exited: its pid is no longer alive.
            let child = try SpawnedProcess.start("/bin/true")
            child.waitForExit()
            let id = UUID().uuidString.lowercased()
            _ = try await runtime.store.append(
                NewEvent(
                    type: "plugin_action_initiated", actorId: "ana", targetId: "execution:\(id)", groupId: "acme",
                    metadata: [
                        "correlationId": .string(id), "plugin": "price-quote", "version": "1.0.0", "action": "quote",
                        "host": [
                            "pid": .integer(child.pid),
                            "hostname": .string(ProcessInfo.processInfo.hostName),
                        ],
                    ], expectedVersion: 0))
            let recovered = try runtime.recoverAbandoned(actorId: "host")
            #expect(recovered.map(\.id) == [id])
            #expect(try runtime.job(id)?.state == .abandoned)
            #expect(try runtime.recoverAbandoned(actorId: "host").isEmpty)
            // Our own running executions are never mistaken for abandoned ones.
            let outcome = try await runtime.run(
                "price-quote", action: "quote", organization: "acme", input: "{}", actorId: "ana")
            #expect(try runtime.job(outcome.id)?.state == .executed)
        }
    }

    @Test("a job whose input its queued event cannot hold is refused before its runner starts")
    func inputTooLargeForTheQueuedEvent() async throws {
        try await withRuntime(installing: ["echo"]) { runtime, _, _ in
            let limit = runtime.store.options.maximumEventSize
            let input = "{\"text\":\"" + String(repeating: "a", count: limit) + "\"}"
            var started = 0
            await #expect {
                _ = try await runtime.submitToProcess(
                    "echo", action: "echo", organization: "acme", input: input, actorId: "ana"
                ) { _ in
                    started += 1
                    return getpid()
                }
            } throws: { error in
                "\(error)".contains("its event would be") && "\(error)".contains("limit of \(limit) bytes")
            }
            #expect(started == 0, "no runner was started")
            let jobs = try runtime.jobs(organization: "acme")
            #expect(jobs.isEmpty)
        }
    }
}
