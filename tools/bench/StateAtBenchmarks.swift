import Annals

/// `state.at.p50` and `state.at.p99`: ``EventStore/state(at:)`` at random offsets of a store holding the whole
/// ontology history with automatic snapshots, followed by one thing lookup in the historical view, timed together.
///
/// Each call loads the newest snapshot at or before the offset and replays the rest of the log up to it, so its
/// time is a snapshot load plus up to one snapshot interval of replay. The informational baseline is the same call
/// and lookup at snapshot offsets, where nothing is replayed: the load alone.
enum StateAtBenchmarks {
    /// The most the median may be, in milliseconds.
    static let p50LimitMilliseconds = 100.0
    /// The most snapshot offsets the baseline asks for.
    static let baselineQueries = 10

    /// Asks `store` for ``BenchSettings/stateQueries`` random offsets and records the percentiles.
    /// - Parameters:
    ///   - store: An open store holding exactly `workload`.
    ///   - workload: The history in the store, for the ids of things that exist at each offset.
    /// - Throws: ``AnnalsError`` from the engine; ``BenchError`` when a state is not at the offset asked for.
    static func run(
        _ store: EventStore, workload: OntologyWorkload, settings: BenchSettings, report: BenchReport
    ) throws {
        let head = try store.head().offset
        var random = SplitMix64(seed: settings.seed ^ 0x57A7_EA7)
        let offsets = (0..<settings.stateQueries).map { _ in 1 + UInt64(random.int(below: Int(head))) }
        progress("state.at: state(at:) and one thing lookup at \(offsets.count) random offsets of \(head)")
        var samples: [Double] = []
        var replayed = 0
        var found = 0
        for offset in offsets {
            let query = try ask(store, at: offset, workload: workload, random: &random)
            samples.append(query.milliseconds)
            replayed += query.replayed
            if query.found { found += 1 }
        }
        let measured = LatencySamples(milliseconds: samples)
        progress(
            "  \(measured.summary); \(replayed / max(offsets.count, 1)) events replayed on average, "
                + "\(found) of \(offsets.count) things still existed")

        let snapshots = try store.snapshots().map(\.offset).filter { $0 <= head }
        let stride = max(snapshots.count / baselineQueries, 1)
        let chosen = Swift.stride(from: snapshots.count - 1, through: 0, by: -stride).prefix(baselineQueries).map {
            snapshots[$0]
        }
        var baseline: LatencySamples?
        if chosen.isEmpty {
            progress("state.at baseline: the store has no snapshot; no baseline")
        } else {
            progress("state.at baseline: the same at \(chosen.count) snapshot offsets (a load, no replay)")
            var loads: [Double] = []
            for offset in chosen {
                let query = try ask(store, at: offset, workload: workload, random: &random)
                loads.append(query.milliseconds)
            }
            baseline = LatencySamples(milliseconds: loads)
            progress("  \(baseline!.summary)")
            let load = baseline!.percentile(50)
            if replayed > 0 {
                let replayMilliseconds = samples.reduce(0, +) - load * Double(samples.count)
                progress(
                    "  so replay costs about \(fixedPoint(replayMilliseconds * 1_000 / Double(replayed), decimals: 2)) "
                        + "µs per event (\(whole(Double(replayed) / replayMilliseconds * 1_000)) events/s) on top "
                        + "of the median load")
            }
        }
        report.recordPercentiles(
            "state.at", samples: measured,
            p50Target: AbsoluteTarget(direction: .atMost, limit: p50LimitMilliseconds, text: "<= 100 ms"),
            baseline: baseline.map { ("state at a snapshot offset, no replay", $0) })

        // What `annals state --at N --thing ID` runs: the same offsets, scoped to the thing looked up.
        progress("state.at.thing: state(at:scope: .thing(id)) at the same \(offsets.count) offsets")
        var scopedRandom = SplitMix64(seed: settings.seed ^ 0x57A7_EA7)
        _ = (0..<settings.stateQueries).map { _ in scopedRandom.int(below: Int(head)) }
        var scoped: [Double] = []
        for offset in offsets {
            scoped.append(
                try ask(store, at: offset, workload: workload, random: &scopedRandom, scoped: true).milliseconds)
        }
        let scopedSamples = LatencySamples(milliseconds: scoped)
        progress("  \(scopedSamples.summary)")
        report.recordPercentiles(
            "state.at.thing", samples: scopedSamples,
            p50Target: AbsoluteTarget(direction: .atMost, limit: p50LimitMilliseconds, text: "<= 100 ms"),
            baseline: baseline.map { ("state at a snapshot offset, no replay", $0) })
    }

    /// One timed query: the state at `offset` (only the thing's part when `scoped`) and a lookup of a thing created
    /// at or before it.
    private static func ask(
        _ store: EventStore, at offset: UInt64, workload: OntologyWorkload, random: inout SplitMix64,
        scoped: Bool = false
    ) throws -> (milliseconds: Double, replayed: Int, found: Bool) {
        let created = workload.createdThings
        var low = 0
        var high = created.count
        while low < high {
            let middle = (low + high) / 2
            if created[middle].offset <= offset { low = middle + 1 } else { high = middle }
        }
        let id = created[random.int(below: max(low, 1))].id
        let start = ContinuousClock.now
        let state = try store.state(at: offset, scope: scoped ? .thing(id) : .all)
        let thing = try state.view.thing(id)
        let milliseconds = elapsedSeconds(ContinuousClock.now - start) * 1_000
        guard state.offset == offset, state.skippedSnapshots.isEmpty else {
            throw BenchError(
                call: "EventStore.state(at:)", code: 0,
                message: "asked for offset \(offset), got \(state.offset) with \(state.skippedSnapshots.count) "
                    + "damaged snapshots")
        }
        return (milliseconds, state.replayedEvents, thing != nil)
    }
}
