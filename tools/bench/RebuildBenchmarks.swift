import Annals

/// `rebuild.all` and `rebuild.all.peak_rss`: ``EventStore/rebuild(_:verify:progress:)`` of every projection
/// (things, connections and knowledge, in one pass over the log) from a store holding the whole ontology history,
/// and how far the process's resident size rises meanwhile.
///
/// The informational baseline is the plain ``EventReader`` scan of the same store (the `read.scan` method): the
/// difference is what applying the events to the projections' tables costs. After the figure, each projection is
/// rebuilt on its own, as a progress line showing where the time goes.
enum RebuildBenchmarks {
    /// The least the rebuild must replay, in events per second.
    static let minimumEventsPerSecond = 300_000.0
    /// The most the process may grow, in MB, during the rebuild.
    static let peakRSSLimitMB = 500.0

    /// Scans `store`, rebuilds all its projections, and records the figures; then rebuilds each one alone.
    /// - Parameters:
    ///   - store: An open store with the default projections holding exactly `expectedEvents` events.
    ///   - expectedEvents: The events the log holds.
    /// - Throws: ``AnnalsError`` from the engine; ``BenchError`` when a scan or a rebuild does not cover the log.
    static func run(_ store: EventStore, expectedEvents: Int, report: BenchReport) throws {
        progress("rebuild.all baseline: EventReader scan of the same \(expectedEvents) events, best of 3")
        let scan = try ReadBenchmarks.best(of: ReadBenchmarks.passes) { try ReadBenchmarks.scanAll(store) }
        guard scan.events == expectedEvents else {
            throw BenchError(call: "EventReader.next", code: 0, message: "read \(scan.events) events")
        }
        progress("  \(whole(scan.eventsPerSecond)) events/s")

        progress("rebuild.all: rebuild() of things, connections and knowledge, \(expectedEvents) events")
        let memory = MemoryProbe()
        let (results, seconds) = try timed { try rebuild(store, nil, expectedEvents: expectedEvents) }
        let (peakGrowth, peak) = memory.finish()
        let rate = Double(expectedEvents) / seconds
        progress(
            "  \(whole(rate)) events/s in \(fixedPoint(seconds, decimals: 2)) s (\(results.joined(separator: ", ")))")
        progress("  peak RSS \(whole(megabytes(peak))) MB, \(whole(megabytes(peakGrowth))) MB above the start")
        report.record(
            "rebuild.all", value: rate, unit: "events/s",
            target: AbsoluteTarget(direction: .atLeast, limit: minimumEventsPerSecond, text: ">= 300k events/s"),
            informationalBaselines: [
                BaselineComparison(
                    name: "EventReader scan, same store", value: scan.eventsPerSecond, minimumRatio: nil)
            ])
        report.record(
            "rebuild.all.peak_rss", value: megabytes(peakGrowth), unit: "MB",
            target: AbsoluteTarget(direction: .atMost, limit: peakRSSLimitMB, text: "<= 500 MB growth"))
        report.record(BenchFigure(name: "rebuild.all.peak_rss.process", value: megabytes(peak), unit: "MB"))

        progress("rebuild.all, where the time goes: each projection rebuilt alone")
        for name in ["things", "connections", "knowledge"] {
            let (_, alone) = try timed { try rebuild(store, [name], expectedEvents: expectedEvents) }
            progress(
                "  \(name): \(fixedPoint(alone, decimals: 2)) s, \(whole(Double(expectedEvents) / alone)) events/s")
        }
    }

    /// Rebuilds `names` (all when `nil`), printing progress every tenth of the log, and returns a line per
    /// result.
    /// - Throws: ``BenchError`` when a result does not reach the log's end.
    private static func rebuild(_ store: EventStore, _ names: [String]?, expectedEvents: Int) throws -> [String] {
        var nextReport = UInt64(expectedEvents / 10)
        let results = try store.rebuild(names, verify: false) { report in
            guard names == nil, report.replayed >= nextReport, report.replayed < report.total else { return }
            nextReport += UInt64(expectedEvents / 10)
            progress(
                "    \(report.replayed) of \(report.total) events: \(whole(report.eventsPerSecond)) events/s so far")
        }
        for result in results where result.checkpoint != UInt64(expectedEvents) {
            throw BenchError(
                call: "EventStore.rebuild", code: 0,
                message: "\(result.name) was rebuilt up to \(result.checkpoint), not \(expectedEvents)")
        }
        return results.map { "\($0.name) at \($0.checkpoint)" }
    }
}
