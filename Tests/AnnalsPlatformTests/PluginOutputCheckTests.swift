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
    @Test("an output with a duplicate key is invalid output, recorded as such")
    func duplicateKeys() async throws {
        try await withPlatform { platform, directory in
            let text = #"{"x":1,"x":2}"#
            var builder = WasmModuleBuilder()
            builder.dataSegments = [(offset: 2048, bytes: Array(text.utf8))]
            builder.output = (2048, UInt32(text.utf8.count))
            let module = builder.bytes
            try Data(module).write(to: URL(fileURLWithPath: directory + "/dup.wasm"))
            let manifest = """
                {"format": "annals.plugins/1", "plugins": [{"name": "dup", "versions": [{"version": "1.0.0",
                  "artifact": {"path": "dup.wasm", "sha256": "\(PluginRuntimeTestDigest.sha256(module))"},
                  "actions": [{"name": "run"}]}]}]}
                """
            try manifest.write(toFile: directory + "/plugins.json", atomically: true, encoding: .utf8)
            _ = try await platform.sync(RegistrySource(directory + "/plugins.json"), scope: .global, actorId: "ops")
            _ = try await platform.install("dup", organization: "acme", actorId: "ana")
            let runtime = PluginRuntime(store: platform.store)
            let outcome = try await runtime.run("dup", action: "run", organization: "acme", input: "{}", actorId: "ana")
            #expect(outcome.failure?.kind == .invalidOutput)
            #expect(outcome.failure?.message.contains("duplicate key") == true, "\(outcome)")
            let failed = try executionEvents(platform.store, outcome.id).last
            #expect(failed?.type == "plugin_action_failed")
            #expect(failed?.metadata["errorKind"]?.stringValue == "invalidOutput")
        }
    }
}
