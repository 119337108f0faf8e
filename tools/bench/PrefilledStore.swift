import Annals

/// A store holding the whole workload, written once and shared by the figures that read a full log:
/// `subscribe.catchup` and `replay.audit`.
///
/// `append.batch` keeps its store only for `read.scan` and `storage`, so this one is filled the fastest way the
/// engine offers (the pipelined client, batches of ``BenchSettings/batchSize``, `.sync`, all indexes and
/// compression, dictionaries trained automatically as usual) and then reopened, so the readers start from a
/// freshly opened environment as they would in another run of an application.
/// ```swift
/// try await PrefilledStore.with(workload, settings: settings) { store in … }
/// ```
enum PrefilledStore {
    /// Fills a store in a temporary directory with every event of `workload`, reopens it, runs `body` with it, and
    /// removes it.
    /// - Throws: The first error from the appends, from `body`, or ``BenchError`` when the log is not as long as
    ///   the workload.
    static func with<R>(
        _ workload: BenchWorkload, settings: BenchSettings, isolation: isolated (any Actor)? = #isolation,
        _ body: (EventStore) async throws -> R
    ) async throws -> R {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let count = workload.newEvents.count
            progress("filling a store for subscribe.catchup and replay.audit: \(count) events, pipelined, .sync")
            do {
                let store = try EventStore(path: path, options: .bareLog)
                defer { store.close() }
                let seconds = try AppendClients.pipelined(
                    workload.batches(of: settings.batchSize), to: store, depth: settings.pipelineDepth)
                try AppendBenchmarks.expectHead(of: store, count)
                progress("  \(whole(Double(count) / seconds)) events/s in \(fixedPoint(seconds, decimals: 2)) s")
            }
            let store = try EventStore(path: path, options: .bareLog)
            defer { store.close() }
            let head = try store.head()
            guard head.durableOffset == UInt64(count) else {
                throw BenchError(
                    call: "EventStore.head", code: 0,
                    message: "the durable offset is \(head.durableOffset), not \(count), after reopening")
            }
            return try await body(store)
        }
    }
}
