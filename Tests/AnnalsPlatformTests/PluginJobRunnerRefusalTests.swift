import Annals
import AnnalsPlatform
import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A job's module refused when its runner starts it (its artifact removed or replaced since the job was queued) is
/// recorded as the job's failed execution, `moduleRefused`, as `run` records one: the runner does not die leaving the
/// job queued for recovery to call abandoned.
@Suite("Jobs whose module their runner refuses")
struct PluginJobRunnerRefusalTests {
    /// The limits the jobs are queued with: other than the defaults, so that the refusal is seen to record them.
    static let limits = SandboxLimits(fuel: 1_000_000, maxMemoryPages: 100)

    /// A plugin `small` whose `run` returns `{}`.
    static var small: BuiltPlugin {
        var module = WasmModuleBuilder()
        module.dataSegments = [(offset: 40_000, bytes: Array("{}".utf8))]
        module.output = (40_000, 2)
        return BuiltPlugin(name: "small", module: module)
    }

    @Test("a job whose artifact is removed or replaced after it was queued fails with moduleRefused at its runner")
    func runnerRefusalIsRecorded() async throws {
        try await withPlatform { platform, directory in
            try await install([Self.small], in: platform, directory: directory)
            // This runtime stands for `plugin run --async`, and each `runner` for the `plugin run-job` it starts.
            let runtime = PluginRuntime(store: platform.store)
            let artifact = URL(fileURLWithPath: directory + "/small-1.0.0.wasm")
            let original = try Data(contentsOf: artifact)
            for change in ["removed", "replaced"] {
                let ticket = try await runtime.submitToProcess(
                    "small", action: "run", organization: "acme", input: "{}", actorId: "ana", limits: Self.limits
                ) { _ in getpid() }
                if change == "removed" {
                    try FileManager.default.removeItem(at: artifact)
                } else {
                    try (original + Data([0])).write(to: artifact)
                }
                let runner = PluginRuntime(store: runtime.store)
                let outcome = try await runner.runQueuedJob(ticket.id, actorId: "ana")
                #expect(outcome?.failure?.kind == .moduleRefused, "\(change): \(String(describing: outcome))")
                let events = try executionEvents(runtime.store, ticket.id)
                #expect(
                    events.map(\.type)
                        == [ExecutionEventType.jobQueued, ExecutionEventType.initiated, ExecutionEventType.failed],
                    "\(change)")
                let initiated = events.first { $0.type == ExecutionEventType.initiated }?.metadata
                #expect(initiated?["trigger"]?["kind"]?.stringValue == "job", "\(change)")
                #expect(initiated?["limits"]?["memoryPages"]?.int64Value == 100, "\(change)")
                // Recovery finds nothing to call abandoned: the job has its outcome.
                _ = try runtime.recoverAbandoned(actorId: "host")
                let status = try runtime.job(ticket.id)
                #expect(status?.state == .failed, "\(change)")
                #expect(status?.errorKind == "moduleRefused", "\(change)")
                try original.write(to: artifact)
            }
        }
    }
}
