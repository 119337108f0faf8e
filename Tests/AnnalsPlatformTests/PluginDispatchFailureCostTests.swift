import Annals
import AnnalsPlatform
import Foundation
import Testing

/// What a failed delivery costs the audit trail. After a failure, a pass read a new batch from the event after it, so
/// every later event of the batch was initiated again, and the earlier start of each was recorded as
/// `plugin_action_abandoned` without ever running: `N` failing events cost about `N²/2` of each (45,150 starts and
/// 44,850 abandoned executions for 300 events). The rest of the batch now runs under the starts already recorded.
@Suite("Plugin dispatch: what a failure costs")
struct PluginDispatchFailureCostTests {
    /// The execution events of `type` in the store, oldest first.
    static func executions(_ store: EventStore, _ type: String) throws -> [RecordedEvent] {
        try store.events(EventQuery(types: [type])).collect()
    }

    /// The offset of the event each `plugin_action_initiated` in `store` delivers, by the execution's id.
    static func deliveredOffsets(_ store: EventStore) throws -> [String: Int64] {
        var offsets: [String: Int64] = [:]
        for start in try executions(store, ExecutionEventType.initiated) {
            guard let id = start.metadata["correlationId"]?.stringValue else { continue }
            offsets[id] = start.metadata["trigger"]?["eventOffset"]?.int64Value
        }
        return offsets
    }

    /// The offsets of the events delivered by the executions whose outcomes of `types` are in `store`, in the order
    /// the outcomes were recorded.
    static func outcomeOffsets(_ store: EventStore, _ types: String...) throws -> [Int64] {
        let delivered = try deliveredOffsets(store)
        return try store.events(EventQuery(types: types)).collect().compactMap { outcome in
            outcome.metadata["correlationId"]?.stringValue.flatMap { delivered[$0] }
        }
    }

    /// Appends `count` orders in `acme` and syncs the store (only durable events are delivered).
    static func orders(_ store: EventStore, _ count: Int) async throws -> [AppendReceipt] {
        let receipts = try await store.append(
            contentsOf: (0..<count).map { NewEvent(type: "order.created", targetId: "order-\($0)", groupId: "acme") })
        _ = try store.sync()
        return receipts
    }

    @Test("a handler that fails every event costs one start and one outcome per attempt, and abandons nothing")
    func everyEventFails() async throws {
        try await withRuntime(installing: ["flaky-counter"]) { runtime, _, _ in
            let store = runtime.store
            let orders = try await Self.orders(store, 50)
            let dispatcher = PluginDispatcher(
                runtime: runtime, maxAttempts: 2, backoff: .milliseconds(1), batchSize: 16)
            let report = try await dispatcher.runOnce()
            #expect(report.delivered == 0 && report.retried == 50 && report.deadLettered == 50, "\(report)")
            #expect(report.problems.isEmpty, "\(report.problems)")

            // Two attempts at each order, each one start and one outcome; nothing abandoned.
            #expect(try Self.executions(store, ExecutionEventType.initiated).count == 100)
            #expect(try Self.executions(store, ExecutionEventType.failed).count == 100)
            #expect(try Self.executions(store, ExecutionEventType.executed).isEmpty)
            #expect(try Self.executions(store, ExecutionEventType.abandoned).isEmpty)
            let offsets = orders.map { Int64($0.offset) }
            #expect(try Self.outcomeOffsets(store, ExecutionEventType.failed) == offsets.flatMap { [$0, $0] })

            let letters = try PluginDispatcher.deadLetters(store, organization: "acme")
            #expect(letters.map { Int64($0.eventOffset) } == offsets)
            #expect(letters.allSatisfy { $0.attempts == 2 && !$0.resolved })
            let cursor = try #require(try store.cursor(named: "plugin:acme:flaky-counter"))
            #expect(cursor.offset >= orders.last!.offset)
            #expect(try await dispatcher.runOnce() == PluginDispatcherReportZero.value)
        }
    }

    @Test("the events after a failure in its batch are delivered once each, in order")
    func someEventsFail() async throws {
        try await withPlatform { platform, directory in
            try await install([PluginCascadeLimitTests.pinger("ping")], in: platform, directory: directory)
            let store = platform.store
            let runtime = PluginRuntime(store: store)
            // A ping already at the cascade limit fails: the plugin's append would be one deeper.
            let failing: Set<Int> = [0, 3, 4, 15, 16, 17, 31, 39]
            let pings = try await store.append(
                contentsOf: (0..<40).map { i in
                    let depth = failing.contains(i) ? PluginRuntime.defaultCascadeLimit : 0
                    return NewEvent(
                        type: "ping.x", actorId: "app", targetId: "ping-\(i)", groupId: "acme",
                        metadata: ["plugin": ["depth": .integer(depth)]])
                })
            _ = try store.sync()
            let dispatcher = PluginDispatcher(
                runtime: runtime, maxAttempts: 1, backoff: .milliseconds(1), batchSize: 16)
            let report = try await dispatcher.runOnce()
            #expect(report.delivered == 32 && report.retried == 0 && report.deadLettered == 8, "\(report)")
            #expect(report.problems.isEmpty, "\(report.problems)")

            let offsets = pings.map { Int64($0.offset) }
            let failed = offsets.enumerated().filter { failing.contains($0.offset) }.map(\.element)
            let succeeded = offsets.enumerated().filter { !failing.contains($0.offset) }.map(\.element)
            #expect(try Self.executions(store, ExecutionEventType.initiated).count == 40)
            #expect(try Self.executions(store, ExecutionEventType.abandoned).isEmpty)
            #expect(try Self.outcomeOffsets(store, ExecutionEventType.executed) == succeeded)
            #expect(try Self.outcomeOffsets(store, ExecutionEventType.failed) == failed)
            // Every outcome in event order: each event ran once, none before an earlier one.
            #expect(
                try Self.outcomeOffsets(store, ExecutionEventType.executed, ExecutionEventType.failed) == offsets)
            #expect(
                try PluginDispatcher.deadLetters(store, organization: "acme").map { Int64($0.eventOffset) } == failed)
            // One answer per delivered ping.
            let answers = try store.events(EventQuery(types: ["ping.x"], actorId: "plugin:ping")).collect()
            #expect(answers.count == succeeded.count)
            #expect(try await dispatcher.runOnce() == PluginDispatcherReportZero.value)
        }
    }

    @Test("a cursor reset while a failure waits to be retried ends the pass, and only the events not run are abandoned")
    func aResetAbandonsOnlyWhatDidNotRun() async throws {
        try await withRuntime(installing: ["flaky-counter"]) { runtime, _, _ in
            let store = runtime.store
            let orders = try await Self.orders(store, 5)
            let dispatcher = PluginDispatcher(runtime: runtime, maxAttempts: 2, backoff: .seconds(2), batchSize: 16)
            let pass = Task { try await dispatcher.runOnce() }
            // The first order's first attempt has failed; its retry waits two seconds.
            for _ in 0..<500 where try Self.executions(store, ExecutionEventType.failed).isEmpty {
                try await Task.sleep(for: .milliseconds(10))
            }
            try store.resetCursor("plugin:acme:flaky-counter", to: orders[0].offset - 1)
            let report = try await pass.value
            #expect(report.deadLettered == 1 && report.delivered == 0, "\(report)")
            #expect(report.problems.count == 1 && report.problems[0].contains("was reset or deleted"), "\(report)")

            // The four orders after the first were started with the batch and never ran.
            #expect(try Self.executions(store, ExecutionEventType.initiated).count == 6)
            #expect(try Self.executions(store, ExecutionEventType.failed).count == 2)
            #expect(
                try Self.outcomeOffsets(store, ExecutionEventType.abandoned)
                    == orders.dropFirst().map { Int64($0.offset) })
            #expect(try store.cursor(named: "plugin:acme:flaky-counter")?.offset == orders[0].offset - 1)
        }
    }
}
