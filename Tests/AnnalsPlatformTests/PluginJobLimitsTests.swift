import Annals
import AnnalsPlatform
import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An async job runs under the limits it was queued with, whoever runs it: its module is checked for them and its
/// execution runs under them, not under the defaults of the runtime that runs it.
@Suite("Jobs run under the limits they were queued with")
struct PluginJobLimitsTests {
    /// 400 pages: more than the default of 256, enough for ``bigMemory``.
    static let roomy = SandboxLimits(maxMemoryPages: 400)

    /// A plugin `big-memory` whose memory starts at 300 pages (more than the default limit) and whose `run`
    /// returns `{}`.
    static var bigMemory: BuiltPlugin {
        var module = WasmModuleBuilder()
        module.memoryPages = 300
        module.dataSegments = [(offset: 40_000, bytes: Array("{}".utf8))]
        module.output = (40_000, 2)
        return BuiltPlugin(name: "big-memory", module: module)
    }

    /// A store with ``bigMemory`` installed in acme, and a runtime over it with the default limits.
    func withBigMemory(_ body: (PluginRuntime, String) async throws -> Void) async throws {
        try await withPlatform { platform, directory in
            try await install([Self.bigMemory], in: platform, directory: directory)
            try await body(PluginRuntime(store: platform.store), directory)
        }
    }

    /// The `memoryPages` of the `limits` of job `id`'s `plugin_action_initiated`.
    func initiatedMemoryPages(_ runtime: PluginRuntime, _ id: String) throws -> Int64? {
        let initiated = try executionEvents(runtime.store, id).first { $0.type == ExecutionEventType.initiated }
        return initiated?.metadata["limits"]?["memoryPages"]?.int64Value
    }

    @Test("a job submitted with 400 pages runs a module that starts with 300, on a runtime whose default is 256")
    func submittedJobRunsUnderItsLimits() async throws {
        try await withBigMemory { runtime, _ in
            let ticket = try await runtime.submit(
                "big-memory", action: "run", organization: "acme", input: "{}", actorId: "ana", limits: Self.roomy)
            let outcome = await runtime.wait(forJob: ticket.id)
            #expect(outcome?.succeeded == true, "\(String(describing: outcome?.failure))")
            #expect(try runtime.job(ticket.id)?.state == .executed)
            #expect(try initiatedMemoryPages(runtime, ticket.id) == 400)
        }
    }

    @Test("a runner whose default is 256 pages runs a job queued with 400 under 400")
    func runnerRunsUnderTheQueuedLimits() async throws {
        try await withBigMemory { runtime, _ in
            // This runtime stands for `plugin run --async`, and `runner` for the `plugin run-job` it starts.
            let ticket = try await runtime.submitToProcess(
                "big-memory", action: "run", organization: "acme", input: "{}", actorId: "ana", limits: Self.roomy
            ) { _ in getpid() }
            let runner = PluginRuntime(store: runtime.store)
            let outcome = try await runner.runQueuedJob(ticket.id, actorId: "ana")
            #expect(outcome?.succeeded == true, "\(String(describing: outcome?.failure))")
            #expect(try runtime.job(ticket.id)?.state == .executed)
            #expect(try initiatedMemoryPages(runtime, ticket.id) == 400)
        }
    }
}
