import Annals
import AnnalsPlatform
import Testing

@Suite("Event delivery to a plugin installed again")
struct PluginReinstallDeliveryTests {
    /// Appends `count` order events in `acme` and syncs the store, since only durable events are delivered.
    func orders(_ store: EventStore, _ count: Int, from first: Int) async throws {
        _ = try await store.append(
            contentsOf: (first..<(first + count)).map { i in
                NewEvent(type: "order.created", targetId: "order-\(i)", groupId: "acme", metadata: ["n": .integer(i)])
            })
        _ = try store.sync()
    }

    @Test("a plugin installed again receives only the events after its new install, not those of the gap")
    func reinstalledPluginStartsAtItsInstall() async throws {
        try await withRuntime(installing: []) { runtime, platform, _ in
            let store = runtime.store
            let beforeInstall = try store.head().offset
            _ = try await platform.install("event-counter", organization: "acme", actorId: "ana")
            try await orders(store, 2, from: 0)
            let dispatcher = PluginDispatcher(runtime: runtime, backoff: .milliseconds(1))
            #expect(try await dispatcher.runOnce().delivered == 2)

            // Removed (its install rolled back), then orders while it is not installed, then installed again.
            _ = try await platform.rollback(
                "event-counter", organization: "acme", to: .offset(beforeInstall), actorId: "ana")
            #expect(try dispatcher.subscriptions().isEmpty)
            try await orders(store, 3, from: 2)
            _ = try await platform.install("event-counter", organization: "acme", actorId: "ana")
            let installs = try platform.installs(organization: "acme")
            let reinstalled = try #require(installs.first(where: { $0.name == "event-counter" }))
            let subscription = try #require(try dispatcher.subscriptions().first)
            #expect(subscription.position == reinstalled.installedOffset)

            try await orders(store, 1, from: 5)
            let report = try await dispatcher.runOnce()
            // Only order-5: the three orders appended while it was not installed predate this install.
            #expect(report.delivered == 1)
            var query = EventQuery()
            query.types = [ExecutionEventType.initiated]
            query.from = reinstalled.installedOffset
            let triggers = try store.events(query).collect().compactMap {
                $0.metadata["trigger"]?["eventOffset"]?.int64Value
            }
            #expect(triggers.count == 1)
            #expect(triggers.allSatisfy { $0 > Int64(reinstalled.installedOffset) })
        }
    }
}
