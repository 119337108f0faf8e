import Annals
import AnnalsPlatform
import Foundation
import Testing

/// A pass whose task is cancelled used to go on: the backoff's sleep ended at once (its cancellation error was
/// ignored), so every remaining attempt ran back to back and the event was dead-lettered, though a later pass could
/// have delivered it. A cancelled pass now ends at once while a failed event waits for its retry, and dead-letters
/// nothing.
@Suite("Plugin dispatch: a cancelled pass")
struct PluginDispatchCancellationTests {
    @Test("a pass cancelled while a failed event waits for its retry ends at once; the next pass delivers it again")
    func cancelledDuringBackoff() async throws {
        try await withRuntime(installing: ["flaky-counter"]) { runtime, _, _ in
            let store = runtime.store
            let orders = try await PluginDispatchFailureCostTests.orders(store, 3)
            // The first retry would wait 30 s (the cap); the handler always traps.
            let dispatcher = PluginDispatcher(runtime: runtime, maxAttempts: 5, backoff: .seconds(60))
            let pass = Task { try await dispatcher.runOnce() }
            for _ in 0..<6_000
            where try PluginDispatchFailureCostTests.executions(store, "plugin_action_failed").isEmpty {
                try await Task.sleep(for: .milliseconds(10))
            }
            pass.cancel()
            let report = try await pass.value
            #expect(report.delivered == 0 && report.retried == 0 && report.deadLettered == 0, "\(report)")

            // One attempt at the first order; the other two were started with the batch and abandoned, saying why.
            #expect(try PluginDispatchFailureCostTests.executions(store, "plugin_action_failed").count == 1)
            let abandoned = try PluginDispatchFailureCostTests.executions(store, "plugin_action_abandoned")
            #expect(abandoned.count == 2)
            #expect(
                abandoned.allSatisfy {
                    $0.metadata["reason"]?.stringValue?.hasPrefix("not run: the pass was cancelled") == true
                }, "\(abandoned.map(\.metadata))")
            #expect(try PluginDispatcher.deadLetters(store, organization: "acme").isEmpty)
            let cursor = try store.cursor(named: "plugin:acme:flaky-counter")
            #expect((cursor?.offset ?? 0) < orders[0].offset, "\(String(describing: cursor))")

            // The next pass delivers every order again, the first from its first attempt.
            let next = PluginDispatcher(runtime: runtime, maxAttempts: 1, backoff: .milliseconds(1))
            let rest = try await next.runOnce()
            #expect(rest.deadLettered == 3, "\(rest)")
            let firstAttempts = try PluginDispatchFailureCostTests.executions(store, "plugin_action_initiated").filter {
                $0.metadata["trigger"]?["eventOffset"]?.int64Value == Int64(orders[0].offset)
            }
            #expect(firstAttempts.map { $0.metadata["trigger"]?["attempt"]?.int64Value } == [1, 1])
        }
    }
}
