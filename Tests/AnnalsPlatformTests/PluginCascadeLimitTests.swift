import Annals
import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

@testable import AnnalsPlatform

/// Plugins that append events other plugins react to are stopped after the runtime's cascade limit: every event a
/// plugin appends records how many plugin appends deep it is, and an append past the limit is refused.
@Suite("Event-driven plugins: the cascade limit")
struct PluginCascadeLimitTests {
    /// A plugin whose `on_event` (or `run`, with `action`) appends one `ping.x` event, with a forged
    /// `metadata.plugin` the platform must overwrite, and returns `{}`.
    static func pinger(_ name: String, action: String = "on_event") -> BuiltPlugin {
        let event = #"{"type":"ping.x","targetId":"ping","metadata":{"plugin":{"name":"forged","depth":0}}}"#
        var module = WasmModuleBuilder()
        module.action = action
        module.imports = [(name: "events_append", parameters: 4, results: 1)]
        module.dataSegments = [(offset: 40_000, bytes: Array("{}".utf8)), (offset: 40_960, bytes: Array(event.utf8))]
        module.output = (40_000, 2)
        module.calls = [(function: 0, arguments: [40_960, UInt32(event.utf8.count), 49_152, 256])]
        return BuiltPlugin(
            name: name, module: module, permissions: ["events.append"],
            subscribes: action == "on_event" ? ["ping.*"] : [])
    }

    /// Two plugins that each append a `ping.x` for every `ping.x` they receive, set off by one `ping.x` of an
    /// application; dispatches until nothing is left to deliver, then hands the plugins' `ping.x` events to `check`.
    func pingPong(
        cascadeLimit: Int = PluginRuntime.defaultCascadeLimit, _ check: (PluginRuntime, [RecordedEvent]) throws -> Void
    ) async throws {
        try await withPlatform { platform, directory in
            try await install([Self.pinger("ping"), Self.pinger("pong")], in: platform, directory: directory)
            let store = platform.store
            let runtime = PluginRuntime(store: store, cascadeLimit: cascadeLimit)
            _ = try await store.append(NewEvent(type: "ping.x", actorId: "app", targetId: "ping", groupId: "acme"))
            let dispatcher = PluginDispatcher(runtime: runtime, maxAttempts: 2, backoff: .milliseconds(1))
            var passes = 0
            while true {
                _ = try store.sync()
                let report = try await dispatcher.runOnce()
                if report.delivered + report.deadLettered == 0 { break }
                passes += 1
                try #require(passes < 50, "the loop did not end")
            }
            var query = EventQuery()
            query.types = ["ping.x"]
            let appended = try store.events(query).collect().filter { $0.actorId?.hasPrefix("plugin:") == true }
            try check(runtime, appended)
        }
    }

    @Test("a two-plugin ping-pong ends after the cascade limit, each event recording its depth")
    func pingPongEnds() async throws {
        try await pingPong { runtime, appended in
            // Each plugin answers the other's event of every depth, from the application's (depth 0) on.
            let depths = appended.map { PlatformPluginHost.cascadeDepth(of: $0) }
            #expect(depths.sorted() == (1...8).flatMap { [$0, $0] }, "\(depths)")
            for event in appended {
                let stamp = try #require(event.metadata["plugin"])
                #expect(stamp["name"]?.stringValue == event.actorId.map { String($0.dropFirst("plugin:".count)) })
                #expect(stamp["correlationId"]?.stringValue?.isEmpty == false)
            }
            // The refused append at depth 9 fails the delivery; it is retried, then dead-lettered.
            let letters = try PluginDispatcher.deadLetters(runtime.store, organization: "acme")
            #expect(Set(letters.map(\.plugin)) == ["ping", "pong"])
            for letter in letters {
                #expect(letter.errorKind == "trap")
                #expect(
                    letter.error.contains("cascade limit: this event would be 9 plugin appends deep (limit 8)"),
                    "\(letter.error)")
            }
        }
    }

    @Test("the runtime's cascade limit can be lowered")
    func lowerLimit() async throws {
        try await pingPong(cascadeLimit: 3) { runtime, appended in
            #expect(appended.map { PlatformPluginHost.cascadeDepth(of: $0) }.sorted() == [1, 1, 2, 2, 3, 3])
            let letters = try PluginDispatcher.deadLetters(runtime.store, organization: "acme")
            #expect(letters.count == 2)
            #expect(letters.allSatisfy { $0.error.contains("would be 4 plugin appends deep (limit 3)") })
            // The audit trail says under which limits each execution ran and how deep its trigger was.
            let initiated = try runtime.store.events(EventQuery(types: ["plugin_action_initiated"])).collect()
            #expect(!initiated.isEmpty)
            #expect(initiated.allSatisfy { $0.metadata["limits"]?["cascadeLimit"] == 3 })
            #expect(initiated.allSatisfy { $0.metadata["limits"]?["writes"] == 1_000 })
            let triggerDepths = Set(initiated.compactMap { $0.metadata["trigger"]?["depth"]?.int64Value })
            #expect(triggerDepths == [0, 1, 2, 3], "\(triggerDepths)")
        }
    }

    @Test("an execution no event triggered appends at depth 1")
    func runAppendsAtDepthOne() async throws {
        try await withPlatform { platform, directory in
            try await install([Self.pinger("solo", action: "run")], in: platform, directory: directory)
            let runtime = PluginRuntime(store: platform.store)
            let outcome = try await runtime.run(
                "solo", action: "run", organization: "acme", input: "{}", actorId: "ana")
            #expect(outcome.failure == nil, "\(outcome)")
            var query = EventQuery()
            query.types = ["ping.x"]
            let events = try platform.store.events(query).collect()
            #expect(events.count == 1)
            #expect(
                events.first?.metadata["plugin"]
                    == ["name": "solo", "correlationId": .string(outcome.id), "depth": .integer(1)])
        }
    }

    @Test("a trigger's depth counts only when it is an integer of at least 0")
    func triggerDepths() async throws {
        try await withPlatform { platform, _ in
            let depths: [JSONValue] = [.integer(5), .integer(-2), "7", .number("2.5"), .null, .integer(8)]
            let events = try await platform.store.append(
                contentsOf: depths.map {
                    NewEvent(type: "ping.x", groupId: "acme", metadata: ["plugin": ["depth": $0]])
                }
                    + [NewEvent(type: "ping.x", groupId: "acme")]
            )
            let recorded = try events.map { try #require(try platform.store.event(at: $0.offset)) }
            #expect(recorded.map { PlatformPluginHost.cascadeDepth(of: $0) } == [5, 0, 0, 0, 0, 8, 0])

            // A host whose trigger was already at the limit refuses the append and writes nothing.
            let host = PlatformPluginHost(
                store: platform.store, secrets: StaticSecrets(), organization: "acme", plugin: "p", correlationId: "c",
                triggerDepth: 8, cascadeLimit: 8)
            let head = try platform.store.head().offset
            #expect {
                try host.appendEvent(Array(#"{"type":"ping.x"}"#.utf8))
            } throws: { error in
                "\(error)" == "cascade limit: this event would be 9 plugin appends deep (limit 8)"
            }
            #expect(try platform.store.head().offset == head)
        }
    }
}
