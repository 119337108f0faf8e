import Annals

/// `append.batch.projected`: the `append.batch` client (batches of ``BenchSettings/batchSize``, each awaited until
/// durable, `.sync`) appending an ontology history into a store with the default projections (things,
/// connections and knowledge kept up to date inside each append's transaction, automatic snapshots), compared
/// with the same events appended the same way into a bare log (`projections: []`) in the same run.
///
/// The history is valid against the state it builds (see ``OntologyWorkload``), so no batch is rejected; the
/// projected store's views are then checked against the generator's live counts.
enum ProjectedAppendBenchmarks {
    /// The least projected ÷ bare throughput.
    static let minimumRatio = 0.5

    /// Appends `workload` into a bare store, then into a projected one, and records the ratio.
    /// - Throws: The first ``AnnalsError`` (a rejected batch is a bug in the generator), or ``BenchError`` when
    ///   the log or the views do not hold what was appended.
    static func run(
        _ workload: OntologyWorkload, settings: BenchSettings, report: BenchReport,
        isolation: isolated (any Actor)? = #isolation
    ) async throws {
        let batchSize = settings.batchSize
        let batches = workload.batches(of: batchSize)
        let count = workload.events.count

        progress("append.batch.projected baseline: the same \(count) events, projections: [], \(batchSize) per batch")
        let bare = try await append(batches, count: count, options: .bareLog)
        progress("  \(whole(bare.rate)) events/s in \(fixedPoint(bare.seconds, decimals: 2)) s")

        progress("append.batch.projected: default projections (things, connections, knowledge), automatic snapshots")
        let projected = try await append(batches, count: count, options: StoreOptions()) { store in
            let (things, connections, knowledge) = try store.read { view in
                (
                    try view.things(ThingFilter(limit: Int.max)).count,
                    try view.connections(ConnectionFilter(limit: Int.max)).count,
                    try view.knowledge(KnowledgeFilter(limit: Int.max)).count
                )
            }
            guard
                things == workload.liveThings && connections == workload.liveConnections
                    && knowledge == workload.liveKnowledge
            else {
                throw BenchError(
                    call: "EventStore.read", code: 0,
                    message: "the views hold \(things) things, \(connections) connections and \(knowledge) "
                        + "knowledge items; the generator expects \(workload.liveThings), "
                        + "\(workload.liveConnections) and \(workload.liveKnowledge)")
            }
            let snapshots = try store.snapshots()
            progress(
                "  views: \(things) things, \(connections) connections, \(knowledge) knowledge items; "
                    + "\(snapshots.count) automatic snapshots")
        }
        progress("  \(whole(projected.rate)) events/s in \(fixedPoint(projected.seconds, decimals: 2)) s")
        report.record(
            "append.batch.projected", value: projected.rate, unit: "events/s",
            comparedWith: [
                BaselineComparison(
                    name: "same events, projections: []", value: bare.rate, minimumRatio: minimumRatio)
            ])
    }

    /// Appends `batches` with the sequential client into a fresh store opened with `options`, checks the head,
    /// runs `check` on the store (untimed), and returns the rate.
    private static func append(
        _ batches: [[NewEvent]], count: Int, options: StoreOptions, isolation: isolated (any Actor)? = #isolation,
        check: (EventStore) throws -> Void = { _ in }
    ) async throws -> (rate: Double, seconds: Double) {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(path: directory + "/store", options: options)
            defer { store.close() }
            let commitsBefore = store.commitSequence
            let seconds = try await AppendClients.sequential(batches, to: store)
            let commits = store.commitSequence - commitsBefore
            try AppendBenchmarks.expectHead(of: store, count)
            progress(AppendBenchmarks.commitSummary(commits: commits, events: count, seconds: seconds))
            try check(store)
            return (Double(count) / seconds, seconds)
        }
    }
}
