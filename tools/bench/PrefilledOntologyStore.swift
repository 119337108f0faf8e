import Annals

/// A store holding the whole ontology history with the default projections, shared by `state.at` and
/// `rebuild.all`.
///
/// Filling it is not a figure, so it is done the fastest way: the pipelined client with `.noSync` (the open after
/// it syncs). A snapshot is taken after every ``BenchSettings/snapshotInterval`` events, by calling
/// ``EventStore/createSnapshot()`` between parts of the fill rather than by the store's automatic snapshots: those
/// start in the background once the interval has passed and fall behind an append rate this high (a quick run
/// saw stretches of six intervals without one), whereas an application appending at its own pace gets one about
/// every interval. The store is then reopened with the same interval and `.sync`, so the measurements start from
/// a freshly opened environment.
/// ```swift
/// try await PrefilledOntologyStore.with(history, settings: settings) { store in … }
/// ```
enum PrefilledOntologyStore {
    /// The options of the store: the defaults (projections included) with the run's snapshot interval and
    /// `durability`.
    static func options(_ settings: BenchSettings, durability: Durability = .sync) -> StoreOptions {
        StoreOptions(durability: durability, snapshotInterval: settings.snapshotInterval)
    }

    /// Fills a store in a temporary directory with every event of `workload`, reopens it, runs `body` with it, and
    /// removes it.
    /// - Throws: The first error from the appends or from `body`, or ``BenchError`` when the log is not as long as
    ///   the workload.
    static func with<R>(
        _ workload: OntologyWorkload, settings: BenchSettings, isolation: isolated (any Actor)? = #isolation,
        _ body: (EventStore) async throws -> R
    ) async throws -> R {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let count = workload.events.count
            progress(
                "filling a store for state.at and rebuild.all: \(count) events, default projections, snapshots every "
                    + "\(settings.snapshotInterval) events, pipelined, .noSync")
            do {
                var fillOptions = options(settings, durability: .noSync)
                fillOptions.snapshotInterval = 0
                let store = try EventStore(path: path, options: fillOptions)
                defer { store.close() }
                let interval = max(settings.snapshotInterval, 1)
                var appending = 0.0
                var snapshotting = 0.0
                var snapshots = 0
                var last: SnapshotInfo?
                for first in stride(from: 0, to: count, by: interval) {
                    let part = workload.events[first..<min(first + interval, count)]
                    let batches = stride(from: part.startIndex, to: part.endIndex, by: settings.batchSize).map {
                        Array(part[$0..<min($0 + settings.batchSize, part.endIndex)])
                    }
                    appending += try AppendClients.pipelined(batches, to: store, depth: settings.pipelineDepth)
                    guard part.count == interval else { continue }
                    let (info, seconds) = try timed { try store.createSnapshot() }
                    snapshotting += seconds
                    snapshots += 1
                    last = info
                }
                try AppendBenchmarks.expectHead(of: store, count)
                progress("  \(whole(Double(count) / appending)) events/s in \(fixedPoint(appending, decimals: 2)) s")
                if let last {
                    progress(
                        "  \(snapshots) snapshots in \(fixedPoint(snapshotting, decimals: 2)) s; the last, at offset "
                            + "\(last.offset): \(whole(megabytes(Int(last.bodyBytes)))) MB of tables stored in "
                            + "\(whole(megabytes(last.storedBytes))) MB")
                }
            }
            let store = try EventStore(path: path, options: options(settings))
            defer { store.close() }
            let snapshots = try store.snapshots()
            let offsets = snapshots.map(\.offset)
            let gaps = zip([0] + offsets, offsets + [UInt64(count)]).map { $1 - $0 }
            let events = try store.statistics().databases.first { $0.name == "events" }?.bytes ?? 0
            progress(
                "  \(offsets.count) snapshots; the longest stretch of the log without one is \(gaps.max() ?? 0) "
                    + "events; they take \(whole(megabytes(snapshots.reduce(0) { $0 + $1.storedBytes }))) MB, "
                    + "the log's records \(whole(megabytes(events))) MB")
            return try await body(store)
        }
    }
}
