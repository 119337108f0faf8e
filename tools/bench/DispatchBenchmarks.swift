import Annals
import AnnalsPlatform
import AnnalsSandbox
import Foundation

/// `plugin.dispatch`: event-driven delivery to a trivial handler (the example `echo-subscriber`, whose
/// `on_event` returns `{}`), through `PluginDispatcher` with its durable cursor and audit trail, in a store with
/// the default durability. The baseline is the same number of direct `Sandbox.invoke` calls of the same handler
/// with the same inputs, with no log, cursor or audit events: what delivery costs beyond running the handler.
enum DispatchBenchmarks {
    /// The least the dispatch rate may be, in events per second.
    static let minimumEventsPerSecond = 10_000.0

    /// Fills a store with events, dispatches them, and records the rate.
    /// - Throws: ``BenchError`` when the example plugins are missing or a delivery fails.
    static func run(
        settings: BenchSettings, report: BenchReport, pluginsDirectory: String,
        isolation: isolated (any Actor)? = #isolation
    ) async throws {
        let registry = pluginsDirectory + "/registry.json"
        guard FileManager.default.fileExists(atPath: registry) else {
            throw BenchError(call: "open", code: 0, message: "no \(registry): run `make plugins`")
        }
        let count = settings.name == "quick" ? 5_000 : 50_000
        try await withTemporaryDirectory { directory in
            let store = try EventStore(path: directory + "/store")
            defer { store.close() }
            let platform = PluginPlatform(store: store)
            _ = try await platform.sync(RegistrySource(registry), scope: .global, actorId: "bench")
            _ = try await platform.install("echo-subscriber", organization: "bench", actorId: "bench")
            progress("plugin.dispatch: \(count) events to a trivial handler, default durability")
            for start in stride(from: 0, to: count, by: 1_000) {
                _ = try await store.append(
                    contentsOf: (start..<min(count, start + 1_000)).map { i in
                        NewEvent(
                            type: "bench.tick", targetId: "tick-\(i % 100)", groupId: "bench",
                            metadata: ["n": .integer(i)])
                    })
            }
            let runtime = PluginRuntime(store: store)
            let dispatcher = PluginDispatcher(runtime: runtime, organization: "bench")
            let (delivery, seconds) = try await timed { try await dispatcher.runOnce() }
            guard delivery.delivered == count, delivery.deadLettered == 0 else {
                throw BenchError(
                    call: "PluginDispatcher.runOnce", code: 0,
                    message: "delivered \(delivery.delivered) of \(count), dead-lettered \(delivery.deadLettered)")
            }
            let rate = Double(count) / seconds
            progress("  \(whole(rate)) events/s (\(fixedPoint(seconds, decimals: 2)) s)")

            // Baseline: the same handler and inputs, invoked directly.
            let module = try PluginModule(contentsOfFile: pluginsDirectory + "/echo.wasm")
            let sandbox = Sandbox()
            let host = InMemoryPluginHost()
            var query = EventQuery()
            query.types = ["bench.tick"]
            let inputs = try store.events(query).collect().map { event -> [UInt8] in
                var json: [UInt8] = []
                event.appendJSON(to: &json)
                return json
            }
            let (_, baselineSeconds) = try timed {
                for input in inputs {
                    _ = try sandbox.invoke(module: module, action: "on_event", input: input, host: host)
                }
            }
            let baseline = Double(inputs.count) / baselineSeconds
            progress("  baseline, direct Sandbox.invoke of the same handler: \(whole(baseline)) events/s")
            report.record(
                BenchFigure(
                    name: "plugin.dispatch", value: rate, unit: "events/s",
                    baseline: "direct Sandbox.invoke, no log or cursor", baselineValue: baseline,
                    target: ">= 10,000 events/s", passed: rate >= minimumEventsPerSecond))
        }
    }
}
