import Annals
import AnnalsPlatform
import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

/// The runtime checks each artifact once against its limits, and remembers a refusal as well as a module.
@Suite("Plugin executions: the module check")
struct PluginExecutionModuleCheckTests {
    /// A module of 300 initial pages (past the default 256) whose `run` returns `{}`.
    static let bigModule: [UInt8] = {
        var builder = WasmModuleBuilder()
        builder.memoryPages = 300
        builder.dataSegments = [(offset: 2048, bytes: Array("{}".utf8))]
        builder.output = (2048, 2)
        return builder.bytes
    }()

    /// A platform with `bigModule` registered and installed in `acme` as `big`; returns the artifact's path.
    private func withBigModule(
        limits: SandboxLimits, _ body: (PluginRuntime, String) async throws -> Void
    ) async throws {
        try await withPlatform { platform, directory in
            let artifact = directory + "/big.wasm"
            try Data(Self.bigModule).write(to: URL(fileURLWithPath: artifact))
            let digest = PluginRuntimeTestDigest.sha256(Self.bigModule)
            let manifest = """
                {"format": "annals.plugins/1", "plugins": [{"name": "big", "versions": [{"version": "1.0.0",
                  "artifact": {"path": "big.wasm", "sha256": "\(digest)"}, "actions": [{"name": "run"}]}]}]}
                """
            try manifest.write(toFile: directory + "/plugins.json", atomically: true, encoding: .utf8)
            _ = try await platform.sync(RegistrySource(directory + "/plugins.json"), scope: .global, actorId: "ops")
            _ = try await platform.install("big", organization: "acme", actorId: "ana")
            try await body(PluginRuntime(store: platform.store, limits: limits), artifact)
        }
    }

    @Test("a module past the runtime's memory limit is refused at every attempt, naming the memory")
    func refusalIsRepeated() async throws {
        try await withBigModule(limits: SandboxLimits()) { runtime, artifact in
            for _ in 1...2 {
                // Refused before it starts: recorded as a failed execution. The second attempt is answered from the
                // remembered refusal (the file is unchanged, so it is not read again).
                let outcome = try await runtime.run(
                    "big", action: "run", organization: "acme", input: "{}", actorId: "ana")
                #expect(outcome.failure?.kind == .moduleRefused, "\(outcome)")
                let text = outcome.failure?.message ?? ""
                #expect(text.contains("initial linear memory of 300 pages"), "\(text)")
            }
            // A removed artifact is missing, as for a new process, whatever was remembered of it.
            try FileManager.default.removeItem(atPath: artifact)
            let outcome = try await runtime.run("big", action: "run", organization: "acme", input: "{}", actorId: "ana")
            #expect(outcome.failure?.message.contains("its artifact is missing") == true, "\(outcome)")
        }
    }

    @Test("the same module runs under a runtime whose executions may use its memory")
    func acceptedWithinTheConfiguredLimit() async throws {
        try await withBigModule(limits: SandboxLimits(maxMemoryPages: 300)) { runtime, _ in
            let outcome = try await runtime.run("big", action: "run", organization: "acme", input: "{}", actorId: "ana")
            #expect(outcome.succeeded, "\(outcome)")
            #expect(outcome.output == Array("{}".utf8))
        }
    }
}
