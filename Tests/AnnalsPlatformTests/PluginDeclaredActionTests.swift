import Annals
import AnnalsPlatform
import AnnalsTestSupport
import Foundation
import Testing

@Suite("Plugin actions: the installed release's declared actions are the contract of what may run")
struct PluginDeclaredActionTests {
    /// A registry in `directory` listing `echo` (the example module, which exports `echo`, `not_json`,
    /// `bad_pointer` and `on_event`) with only the actions `declared`, synced and installed in acme.
    func installEcho(
        declaring declared: [String], _ platform: PluginPlatform, _ directory: String
    ) async throws -> String {
        let module = RepositoryPaths.examplePlugins + "/echo.wasm"
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: module)))
        let artifact = directory + "/echo.wasm"
        try Data(bytes).write(to: URL(fileURLWithPath: artifact))
        let release: JSONValue = [
            "version": "1.0.0", "actions": .array(declared.map { ["name": .string($0)] }),
            "artifact": ["path": .string(artifact), "sha256": .string(PluginRuntimeTestDigest.sha256(bytes))],
        ]
        let manifest: JSONValue = [
            "format": "annals.plugins/1", "plugins": [["name": "echo", "versions": [release]]],
        ]
        let path = directory + "/declared.json"
        try Data(manifest.canonicalBytes).write(to: URL(fileURLWithPath: path))
        let report = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
        #expect(report.problems.isEmpty, "\(report.problems)")
        _ = try await platform.install("echo", organization: "acme", actorId: "ana")
        return artifact
    }

    /// The refusal `body` throws, or a failed test.
    func refusal(_ body: () async throws -> Void) async throws -> (String, String, String, [String])? {
        do {
            try await body()
            Issue.record("an undeclared action was accepted")
        } catch {
            guard case .actionNotDeclared(let plugin, let version, let action, let declared) = error as? PlatformError
            else { throw error }
            return (plugin, version, action, declared)
        }
        return nil
    }

    @Test("an exported action the release does not declare is refused, names what it declares, and records nothing")
    func undeclaredExportIsRefused() async throws {
        try await withPlatform { platform, directory in
            _ = try await installEcho(declaring: ["echo"], platform, directory)
            let runtime = PluginRuntime(store: platform.store)
            let ran = try await runtime.run("echo", action: "echo", organization: "acme", input: "{}", actorId: "ana")
            #expect(ran.succeeded)
            let head = try platform.store.head().offset
            for action in ["not_json", "on_event", "no_such_export"] {
                let refused = try await refusal {
                    _ = try await runtime.run(
                        "echo", action: action, organization: "acme", input: "{}", actorId: "ana")
                }
                #expect(refused?.0 == "echo" && refused?.1 == "1.0.0" && refused?.2 == action)
                #expect(refused?.3 == ["echo"])
                let message = PlatformError.actionNotDeclared(
                    plugin: "echo", version: "1.0.0", action: action, declared: ["echo"]
                ).description
                #expect(message == "echo@1.0.0 does not declare the action '\(action)' (it declares: echo)")
                // Jobs take the same contract: nothing is queued.
                _ = try await refusal {
                    _ = try await runtime.submit(
                        "echo", action: action, organization: "acme", input: "{}", actorId: "ana")
                }
            }
            // Nothing was recorded: no execution started, no job was queued.
            #expect(try platform.store.head().offset == head)
        }
    }

    @Test("the refusal comes before the module is loaded: a tampered artifact is not even read for it")
    func refusedBeforeTheModule() async throws {
        try await withPlatform { platform, directory in
            let artifact = try await installEcho(declaring: ["echo"], platform, directory)
            try Data("not a module".utf8).write(to: URL(fileURLWithPath: artifact))
            let runtime = PluginRuntime(store: platform.store)
            let head = try platform.store.head().offset
            let refused = try await refusal {
                _ = try await runtime.run(
                    "echo", action: "not_json", organization: "acme", input: "{}", actorId: "ana")
            }
            #expect(refused?.2 == "not_json")
            #expect(try platform.store.head().offset == head)
            // The declared action still meets the module check, and its refusal is recorded as ever.
            let declared = try await runtime.run(
                "echo", action: "echo", organization: "acme", input: "{}", actorId: "ana")
            #expect(declared.failure?.kind == .moduleRefused)
        }
    }

    @Test("a release that declares no actions runs none, whatever its module exports")
    func noDeclaredActions() async throws {
        try await withPlatform { platform, directory in
            _ = try await installEcho(declaring: [], platform, directory)
            let runtime = PluginRuntime(store: platform.store)
            let refused = try await refusal {
                _ = try await runtime.run("echo", action: "echo", organization: "acme", input: "{}", actorId: "ana")
            }
            #expect(refused?.3 == [])
            #expect(
                PlatformError.actionNotDeclared(plugin: "echo", version: "1.0.0", action: "echo", declared: [])
                    .description == "echo@1.0.0 does not declare the action 'echo' (its manifest declares no actions, "
                    + "so none can run)")
        }
    }

    @Test("a declared action the module does not export is still not found, naming what the module exports")
    func declaredButNotExported() async throws {
        try await withPlatform { platform, directory in
            _ = try await installEcho(declaring: ["echo", "missing"], platform, directory)
            let runtime = PluginRuntime(store: platform.store)
            do {
                _ = try await runtime.run(
                    "echo", action: "missing", organization: "acme", input: "{}", actorId: "ana")
                Issue.record("an action the module does not export ran")
            } catch {
                guard case .notFound(let message) = error as? PlatformError else { throw error }
                #expect(message.hasPrefix("echo@1.0.0 has no action 'missing'"), "\(message)")
            }
        }
    }

    @Test("a release cannot subscribe to events without declaring on_event: its entry is skipped at sync")
    func subscriptionNeedsADeclaredHandler() async throws {
        try await withPlatform { platform, directory in
            let release: JSONValue = ["version": "1.0.0", "subscribes": ["order.*"], "actions": [["name": "echo"]]]
            let handled: JSONValue = ["version": "1.0.0", "subscribes": ["order.*"], "actions": [["name": "on_event"]]]
            let manifest: JSONValue = [
                "format": "annals.plugins/1",
                "plugins": [
                    ["name": "listener", "versions": [release]], ["name": "handler", "versions": [handled]],
                ],
            ]
            let path = directory + "/listener.json"
            try Data(manifest.canonicalBytes).write(to: URL(fileURLWithPath: path))
            let report = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            #expect(report.added == ["handler"])
            #expect(report.problems.map(\.reason).contains { $0.contains("needs an 'on_event' action") })
        }
    }
}
