import Annals
import AnnalsPlatform
import Foundation
import Testing

/// A dispatch batch holds about 16 MiB of decoded events (the bound of a read chunk), however well they compress: it
/// read ``PluginDispatcher/batchSize`` events (1,024) whatever their size, so a backlog of large, repetitive events
/// (a hundred bytes each on disk) was held a thousand at a time, with a plugin input of the same size for each.
@Suite("Plugin dispatch: what one batch holds")
struct PluginDispatchBatchMemoryTests {
    /// The most events of about 1 MB a batch holds: those that reach 16 MiB decoded, the last one included.
    static let mostPerBatch = (16 << 20) / 1_000_000 + 1

    /// An order of about 1 MB that zstd stores in about a hundred bytes.
    static func largeOrder(_ i: Int) -> NewEvent {
        NewEvent(
            type: "order.created", targetId: "order-\(i)", groupId: "acme",
            metadata: ["n": .integer(i), "blob": .string(String(repeating: "a", count: 1_000_000))])
    }

    /// The lengths of the runs of consecutive offsets in `offsets` (ascending).
    static func runs(_ offsets: [UInt64]) -> [Int] {
        var runs: [Int] = []
        var previous: UInt64?
        for offset in offsets {
            if let previous, offset == previous + 1 { runs[runs.count - 1] += 1 } else { runs.append(1) }
            previous = offset
        }
        return runs
    }

    @Test func aBatchOfCompressibleEventsEndsAtTheBound() async throws {
        try await withRuntime(installing: ["event-counter"]) { runtime, _, _ in
            let store = runtime.store
            let first = try #require(try await store.append(contentsOf: (0..<40).map(Self.largeOrder)).first).offset
            _ = try store.sync()
            let report = try await PluginDispatcher(runtime: runtime, backoff: .milliseconds(1)).runOnce()
            #expect(report.delivered == 40 && report.deadLettered == 0 && report.problems.isEmpty)
            let count = try store.thing("kv:acme:event-counter")?.properties["count:order.created"]?.stringValue
            #expect(count == "40")
            // A batch's `plugin_action_initiated` events are appended together before it runs, and its outcomes after
            // it: each run of consecutive offsets among them is one batch.
            let initiated = try store.events(EventQuery(from: first, types: [ExecutionEventType.initiated])).collect()
            let batches = Self.runs(initiated.map(\.offset))
            #expect(batches.reduce(0, +) == 40)
            #expect(batches.count >= 3 && batches.allSatisfy { $0 <= Self.mostPerBatch }, "batches of \(batches)")
            let executed = try store.events(EventQuery(from: first, types: [ExecutionEventType.executed])).collect()
            #expect(executed.count == 40)
        }
    }
}
