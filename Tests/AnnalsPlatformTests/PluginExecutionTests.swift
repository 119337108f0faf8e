import Annals
import AnnalsPlatform
import AnnalsSandbox
import Crypto
import Foundation
import Testing

@Suite("Plugin executions: sandboxed and audited")
struct PluginExecutionTests {
    @Test("a successful run records initiated and executed, linked by the correlation id, with its usage")
    func auditTrail() async throws {
        try await withRuntime(installing: ["price-quote"]) { runtime, _, _ in
            let input = #"{"symbol":"BTC","amount":2}"#
            let outcome = try await runtime.run(
                "price-quote", action: "quote", organization: "acme", input: input, actorId: "ana")
            #expect(outcome.succeeded)
            let output = try JSONParser.parse(try #require(outcome.output))
            #expect(output["symbol"]?.stringValue == "BTC")
            let events = try executionEvents(runtime.store, outcome.id)
            #expect(events.map(\.type) == ["plugin_action_initiated", "plugin_action_executed"])
            #expect(events.allSatisfy { $0.groupId == "acme" && $0.actorId == "ana" })
            let initiated = events[0].metadata
            #expect(initiated["correlationId"]?.stringValue == outcome.id)
            #expect(initiated["plugin"]?.stringValue == "price-quote")
            #expect(initiated["version"]?.stringValue == "1.0.0")
            let digest = PluginRuntimeTestDigest.sha256(Array(input.utf8))
            #expect(initiated["input"]?["sha256"]?.stringValue == digest)
            let executed = events[1].metadata
            #expect(executed["correlationId"]?.stringValue == outcome.id)
            #expect((executed["fuelUsed"]?.int64Value ?? 0) > 0)
            #expect((executed["peakMemoryBytes"]?.int64Value ?? 0) > 0)
            #expect(executed["durationMs"]?.doubleValue != nil)
            #expect(executed["result"]?["total"] != nil)
        }
    }

    @Test(
        "each misbehaviour fails with its kind, is recorded, and the next run works",
        arguments: [
            ("runaway", "run", "{}", SandboxFailure.Kind.outOfFuel),
            ("memory-bomb", "run", "{}", .memoryLimit),
            ("trap", "divide", "{}", .trap),
            ("trap", "unreachable", "{}", .trap),
            ("deep-recursion", "run", "{}", .trap),
            ("forbidden-import", "length", #"{"name":"API_KEY"}"#, .permissionDenied),
            ("oversized-output", "run", "{}", .invalidOutput),
            ("echo", "not_json", "{}", .invalidOutput),
        ])
    func misbehaviour(plugin: String, action: String, input: String, kind: SandboxFailure.Kind) async throws {
        try await withRuntime(
            installing: [plugin, "price-quote"], limits: SandboxLimits(fuel: 5_000_000, timeout: .seconds(20))
        ) { runtime, _, _ in
            let outcome = try await runtime.run(
                plugin, action: action, organization: "acme", input: input, actorId: "ana")
            #expect(outcome.failure?.kind == kind, "\(String(describing: outcome.failure))")
            let events = try executionEvents(runtime.store, outcome.id)
            #expect(events.last?.type == "plugin_action_failed")
            #expect(events.last?.metadata["errorKind"]?.stringValue == kind.rawValue)
            let next = try await runtime.run(
                "price-quote", action: "quote", organization: "acme", input: #"{"symbol":"ETH"}"#, actorId: "ana")
            #expect(next.succeeded)
        }
    }

    @Test("a timeout stops a loop that has fuel to spare")
    func timeout() async throws {
        try await withRuntime(installing: ["runaway"]) { runtime, _, _ in
            let outcome = try await runtime.run(
                "runaway", action: "run", organization: "acme", input: "{}", actorId: "ana",
                limits: SandboxLimits(fuel: .max, timeout: .milliseconds(300)))
            #expect(outcome.failure?.kind == .timeout)
            // The execution's own duration: the wall time around `run` also counts the test process's other work
            // (the whole suite runs in parallel on two cores), which says nothing about the sandbox.
            #expect(outcome.usage.duration < .seconds(30))
        }
    }

    @Test("secrets reach the plugin only through the host call and appear in no event; leaks are withheld")
    func secrets() async throws {
        let value = "s3cr3t-\(UUID().uuidString)"
        try await withRuntime(
            installing: ["secret-reader"], secrets: StaticSecrets(["acme": ["API_KEY": value]])
        ) { runtime, _, _ in
            let length = try await runtime.run(
                "secret-reader", action: "length", organization: "acme", input: #"{"name":"API_KEY"}"#, actorId: "ana")
            #expect(length.succeeded)
            #expect(try JSONParser.parse(length.output ?? [])["length"]?.int64Value == Int64(value.utf8.count))
            #expect(length.secretsRead == ["API_KEY"])
            let leak = try await runtime.run(
                "secret-reader", action: "leak", organization: "acme", input: #"{"name":"API_KEY"}"#, actorId: "ana")
            #expect(leak.failure?.kind == .permissionDenied)
            let other = try await runtime.run(
                "secret-reader", action: "length", organization: "acme", input: #"{"name":"OTHER"}"#, actorId: "ana")
            #expect(other.failure?.kind == .permissionDenied)
            let lines = try allEventLines(runtime.store)
            #expect(!lines.contains { $0.contains(value) })
            #expect(lines.contains { $0.contains("\"secretsRead\":[\"API_KEY\"]") })
        }
    }

    @Test("a secret read by an installed plugin never reaches the store through its kv or event writes")
    func secretsAreNotStashed() async throws {
        let value = "s3cr3t-\(UUID().uuidString)"
        try await withRuntime(
            installing: ["secret-stash"], secrets: StaticSecrets(["acme": ["API_KEY": value]])
        ) { runtime, _, _ in
            for action in ["stash", "emit"] {
                let outcome = try await runtime.run(
                    "secret-stash", action: action, organization: "acme", input: #"{"name":"API_KEY"}"#,
                    actorId: "ana")
                #expect(outcome.failure?.kind == .permissionDenied, "\(action)")
            }
            #expect(try !allEventLines(runtime.store).contains { $0.contains(value) })
        }
    }

    @Test("a plugin cannot run where it is not installed, with a tampered artifact, or an unknown action")
    func refusals() async throws {
        try await withRuntime(installing: ["price-quote"]) { runtime, _, _ in
            await #expect(throws: PlatformError.self) {
                try await runtime.run("price-quote", action: "quote", organization: "beta", input: "{}", actorId: "x")
            }
            await #expect(throws: PlatformError.self) {
                try await runtime.run("price-quote", action: "nope", organization: "acme", input: "{}", actorId: "x")
            }
            await #expect(throws: PlatformError.self) {
                try await runtime.run(
                    "price-quote", action: "quote", organization: "acme", input: "{oops", actorId: "x")
            }
        }
    }

    @Test("a module refused before it starts (a tampered artifact) is recorded as a failed execution")
    func refusedModulesAreAudited() async throws {
        let registry = try ExamplePlugins.require()
        try await withPlatform { platform, directory in
            // A copy of the examples, so that tampering leaves the shared build alone.
            let copy = directory + "/plugins"
            try FileManager.default.copyItem(atPath: PathComponents.parent(of: registry), toPath: copy)
            _ = try await platform.sync(RegistrySource(copy + "/registry.json"), scope: .global, actorId: "ops")
            _ = try await platform.install("price-quote", organization: "acme", actorId: "ana")
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: copy + "/price-quote.wasm"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data([0]))
            try handle.close()
            let runtime = PluginRuntime(store: platform.store)
            let outcome = try await runtime.run(
                "price-quote", action: "quote", organization: "acme", input: "{}", actorId: "ana")
            #expect(outcome.failure?.kind == .moduleRefused)
            #expect(
                outcome.failure?.message.contains("not the registry's") == true,
                "\(String(describing: outcome.failure))")
            let events = try executionEvents(platform.store, outcome.id)
            #expect(events.map(\.type) == ["plugin_action_initiated", "plugin_action_failed"])
            #expect(events.last?.metadata["errorKind"]?.stringValue == "moduleRefused")
            // An async job cannot start either: the refusal is thrown, and recorded first.
            let before = try platform.store.head().offset
            do {
                _ = try await runtime.submit(
                    "price-quote", action: "quote", organization: "acme", input: "{}", actorId: "ana")
                Issue.record("a job with a tampered module was queued")
            } catch {
                guard case .moduleRefused = error as? PlatformError else { throw error }
            }
            let recorded = try platform.store.events(EventQuery(from: before + 1)).collect()
            #expect(recorded.map(\.type) == ["plugin_action_initiated", "plugin_action_failed"])
            #expect(recorded.first?.metadata["trigger"]?["kind"]?.stringValue == "job")
        }
    }

    @Test("host calls stay inside the organization: events.read sees only its events")
    func hostIsolation() async throws {
        try await withRuntime(installing: ["event-log"]) { runtime, platform, _ in
            _ = try await platform.install("event-log", organization: "beta", actorId: "bob")
            _ = try await runtime.store.append(
                NewEvent(type: "order.created", groupId: "beta", metadata: ["secret": "beta"]))
            let emitted = try await runtime.run(
                "event-log", action: "emit", organization: "acme",
                input: #"{"type":"order.created","metadata":{"from":"plugin"}}"#, actorId: "ana")
            #expect(emitted.succeeded, "\(String(describing: emitted.failure))")
            let recent = try await runtime.run(
                "event-log", action: "recent", organization: "acme", input: #"{"types":["order.*"]}"#, actorId: "ana")
            let text = String(decoding: recent.output ?? [], as: UTF8.self)
            #expect(text.contains("\"from\":\"plugin\""))
            #expect(!text.contains("\"secret\":\"beta\""))
            let reserved = try await runtime.run(
                "event-log", action: "emit", organization: "acme", input: #"{"type":"thing.deleted","targetId":"x"}"#,
                actorId: "ana")
            #expect(reserved.failure != nil)
            // Reserved names in another case read to a person as the platform's: refused too.
            // So are names whose bytes begin with a reserved prefix that a combining mark joins to the next character.
            for input in [
                #"{"type":"PLUGIN_ACTION_FAILED"}"#, #"{"type":"note.x","targetId":"Execution:abc"}"#,
                #"{"type":"note.x","targetId":"kv:\u0301acme:event-log"}"#,
            ] {
                let shouted = try await runtime.run(
                    "event-log", action: "emit", organization: "acme", input: input, actorId: "ana")
                #expect(shouted.failure?.message.contains("plugins may not append") == true, "\(input)")
            }
        }
    }
}

/// SHA-256 in hex, for comparing the recorded input digest.
enum PluginRuntimeTestDigest {
    static func sha256(_ bytes: [UInt8]) -> String {
        var hasher = Crypto.SHA256()
        hasher.update(data: bytes)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
