import Annals
import AnnalsPlatform
import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

/// What an execution returns is recorded in the audit trail as its value, so the runtime refuses an output the
/// store's JSON reader would not take back.
@Suite("Plugin executions: outputs the store can record")
struct PluginOutputCheckTests {
    /// Syncs, installs and runs a plugin `name` whose action returns `text`, and returns its outcome.
    private func run(
        _ name: String, returning text: String, _ platform: PluginPlatform, _ directory: String
    ) async throws -> ExecutionOutcome {
        var builder = WasmModuleBuilder()
        builder.dataSegments = [(offset: 2048, bytes: Array(text.utf8))]
        builder.output = (2048, UInt32(text.utf8.count))
        let module = builder.bytes
        try Data(module).write(to: URL(fileURLWithPath: directory + "/\(name).wasm"))
        let manifest = """
            {"format": "annals.plugins/1", "plugins": [{"name": "\(name)", "versions": [{"version": "1.0.0",
              "artifact": {"path": "\(name).wasm", "sha256": "\(PluginRuntimeTestDigest.sha256(module))"},
              "actions": [{"name": "run"}]}]}]}
            """
        let registry = directory + "/\(name).json"
        try manifest.write(toFile: registry, atomically: true, encoding: .utf8)
        _ = try await platform.sync(RegistrySource(registry), scope: .global, actorId: "ops")
        _ = try await platform.install(name, organization: "acme", actorId: "ana")
        let runtime = PluginRuntime(store: platform.store)
        return try await runtime.run(name, action: "run", organization: "acme", input: "{}", actorId: "ana")
    }

    @Test("an output with a duplicate key is invalid output, recorded as such")
    func duplicateKeys() async throws {
        try await withPlatform { platform, directory in
            let outcome = try await run("dup", returning: #"{"x":1,"x":2}"#, platform, directory)
            #expect(outcome.failure?.kind == .invalidOutput)
            #expect(outcome.failure?.message.contains("duplicate key") == true, "\(outcome)")
            let failed = try executionEvents(platform.store, outcome.id).last
            #expect(failed?.type == "plugin_action_failed")
            #expect(failed?.metadata["errorKind"]?.stringValue == "invalidOutput")
        }
    }

    @Test("an output nested as deep as the sandbox allows is recorded without its result, so the outcome is appended")
    func deepOutputs() async throws {
        try await withPlatform { platform, directory in
            for (depth, recordsResult) in [(126, true), (127, false), (128, false)] {
                let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                let outcome = try await run("deep-\(depth)", returning: text, platform, directory)
                #expect(outcome.failure == nil, "\(outcome)")
                let executed = try executionEvents(platform.store, outcome.id).last
                #expect(executed?.type == "plugin_action_executed")
                #expect(executed?.metadata["output"]?["bytes"]?.int64Value == Int64(2 * depth))
                #expect((executed?.metadata["result"] != nil) == recordsResult, "depth \(depth)")
            }
        }
    }
}
