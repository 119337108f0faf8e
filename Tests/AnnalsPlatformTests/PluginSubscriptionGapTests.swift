import Annals
import AnnalsPlatform
import AnnalsTestSupport
import Testing

/// Each subscribed pattern counts from the update that subscribed it: events of a pattern that the installed version
/// did not subscribe to when they were appended are never delivered.
@Suite("Event delivery across updates that change a plugin's subscriptions")
struct PluginSubscriptionGapTests {
    /// Version `version` of plugin `watcher`, whose `on_event` returns `{}`, subscribed to `patterns`.
    static func watcher(_ version: String, subscribes patterns: [String]) -> BuiltPlugin {
        var module = WasmModuleBuilder()
        module.action = "on_event"
        module.dataSegments = [(offset: 40_000, bytes: Array("{}".utf8))]
        module.output = (40_000, 2)
        return BuiltPlugin(name: "watcher", version: version, module: module, subscribes: patterns)
    }

    /// Appends one event of each of `types` in `acme` and syncs the store, since only durable events are delivered.
    func append(_ store: EventStore, _ types: [String]) async throws {
        _ = try await store.append(contentsOf: types.map { NewEvent(type: $0, targetId: "t", groupId: "acme") })
        _ = try store.sync()
    }

    /// The types of the events `watcher`'s executions were triggered by, in order.
    func deliveredTypes(_ store: EventStore) throws -> [String] {
        var query = EventQuery()
        query.types = [ExecutionEventType.initiated]
        return try store.events(query).collect().compactMap { execution in
            guard let offset = execution.metadata["trigger"]?["eventOffset"]?.int64Value else { return nil }
            return try store.event(at: UInt64(offset))?.type
        }
    }

    @Test("an update to a version without subscriptions and back does not deliver the events of the gap")
    func gapIsSkipped() async throws {
        try await withPlatform { platform, directory in
            let versions = [
                Self.watcher("1.0.0", subscribes: ["order.*"]), Self.watcher("2.0.0", subscribes: []),
                Self.watcher("3.0.0", subscribes: ["order.*"]),
            ]
            try await install(versions, in: platform, directory: directory)
            _ = try await platform.update("watcher", range: "1.0.0", organization: "acme", actorId: "ana")
            let store = platform.store
            let dispatcher = PluginDispatcher(runtime: PluginRuntime(store: store), backoff: .milliseconds(1))
            try await append(store, ["order.first"])
            #expect(try await dispatcher.runOnce().delivered == 1)

            _ = try await platform.update("watcher", range: "2.0.0", organization: "acme", actorId: "ana")
            #expect(try dispatcher.subscriptions().isEmpty)
            try await append(store, ["order.gap", "order.gap"])
            _ = try await platform.update("watcher", organization: "acme", actorId: "ana")
            try await append(store, ["order.after"])

            let report = try await dispatcher.runOnce()
            #expect(report.delivered == 1)
            #expect(try deliveredTypes(store) == ["order.first", "order.after"])
        }
    }

    @Test("a pattern an update adds is not delivered the events before the update; one it keeps is")
    func addedPatternStartsAtTheUpdate() async throws {
        try await withPlatform { platform, directory in
            let versions = [
                Self.watcher("1.0.0", subscribes: ["order.*"]),
                Self.watcher("2.0.0", subscribes: ["invoice.*", "order.*"]),
            ]
            try await install(versions, in: platform, directory: directory)
            _ = try await platform.update("watcher", range: "1.0.0", organization: "acme", actorId: "ana")
            let store = platform.store
            // Not dispatched yet: both wait behind the cursor when the update comes.
            try await append(store, ["order.before", "invoice.before"])
            _ = try await platform.update("watcher", organization: "acme", actorId: "ana")
            try await append(store, ["invoice.after"])

            let dispatcher = PluginDispatcher(runtime: PluginRuntime(store: store), backoff: .milliseconds(1))
            let subscription = try #require(try dispatcher.subscriptions().first)
            #expect(subscription.patterns == ["invoice.*", "order.*"])
            #expect(subscription.subscribedOffsets["invoice.*"]! > subscription.subscribedOffsets["order.*"]!)
            #expect(try await dispatcher.runOnce().delivered == 2)
            #expect(try deliveredTypes(store) == ["order.before", "invoice.after"])
        }
    }
}
