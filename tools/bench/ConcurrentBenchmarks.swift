import Annals

/// `append.concurrent`: many tasks each awaiting its own single-event durable append, which the writer
/// group-commits, compared with raw LMDB paying one synced commit per event.
enum ConcurrentBenchmarks {
    /// The least engine ÷ raw LMDB single-commit throughput the engine must reach.
    static let minimumRatio = 20.0

    /// Runs the raw LMDB single-event-commit baseline and the concurrent engine appenders, and records the figure.
    /// - Throws: The first error from the engine or the baseline.
    static func run(
        _ workload: BenchWorkload, settings: BenchSettings, report: BenchReport,
        isolation: isolated (any Actor)? = #isolation
    ) async throws {
        let single = min(settings.singleCommitEvents, workload.events.count)
        progress("append.concurrent baseline: raw LMDB, \(single) events, one synced transaction each")
        let raw = try withTemporaryDirectory { directory in
            try rawLMDBSingleEventCommits(events: Array(workload.events.prefix(single)), directory: directory)
        }
        let commitMilliseconds = fixedPoint(raw.seconds * 1_000 / Double(single), decimals: 3)
        progress("  \(whole(raw.eventsPerSecond)) events/s (\(commitMilliseconds) ms per commit)")

        let events = Array(workload.newEvents.prefix(settings.concurrentEvents))
        let appenders = settings.concurrentAppenders
        try await withTemporaryDirectory { directory in
            progress("append.concurrent: engine, \(appenders) tasks appending \(events.count) single events, .sync")
            let store = try EventStore(path: directory + "/store", options: .bareLog)
            defer { store.close() }
            let commitsBefore = store.commitSequence
            let seconds = try await AppendClients.concurrent(events, to: store, appenders: appenders)
            let commits = store.commitSequence - commitsBefore
            try AppendBenchmarks.expectHead(of: store, events.count)
            let rate = Double(events.count) / seconds
            progress("  \(whole(rate)) events/s in \(fixedPoint(seconds, decimals: 2)) s")
            progress(AppendBenchmarks.commitSummary(commits: commits, events: events.count, seconds: seconds))
            report.record(
                "append.concurrent", value: rate, unit: "events/s",
                comparedWith: [
                    BaselineComparison(
                        name: "raw LMDB 1 event per synced commit", value: raw.eventsPerSecond,
                        minimumRatio: minimumRatio)
                ])
        }
    }
}
