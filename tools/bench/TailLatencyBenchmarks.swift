import Annals

/// `tail.latency.p50` and `tail.latency.p99`: from the return of a durable single-event append to the moment the
/// event's line from `annals tail -f`, running as a separate process, is read by the benchmark, at a steady
/// 1,000 events/s.
///
/// The real CLI (`annals` next to `annals-bench`) is spawned on a fresh store, left to start up until it sleeps,
/// warmed up with a few events, and then fed single events through the library at the paced rate. Both times are
/// taken in the benchmark process on `CLOCK_MONOTONIC`: just after ``EventStore/appendAndWait(_:)`` returns (the
/// event is committed and synced) and just after the `read` of the tail's stdout pipe that delivered the line.
/// The tail is woken across processes by the futex on the store's watermark file, so a latency can even be
/// slightly negative when the tail prints before the appending thread is scheduled again.
///
/// The informational baseline is the same measurement with an in-process ``Subscription`` instead of the child
/// process: what is left is the cost of the extra process (its wake-up, its read transaction, JSON and the pipe).
enum TailLatencyBenchmarks {
    /// The most the median may be, in milliseconds.
    static let p50LimitMilliseconds = 2.0
    /// The most the 99th percentile may be, in milliseconds.
    static let p99LimitMilliseconds = 10.0
    /// How long to wait for the tail to deliver the last event before giving up, in seconds.
    static let deliveryTimeout = 15.0

    /// Runs the cross-process measurement and its in-process baseline on one fresh store and records both figures.
    /// - Throws: ``BenchError`` when the `annals` executable is missing or the tail misbehaves (exits, drops or
    ///   garbles lines); ``AnnalsError`` from the appends.
    static func run(
        _ workload: BenchWorkload, settings: BenchSettings, report: BenchReport,
        isolation: isolated (any Actor)? = #isolation
    ) async throws {
        let executable = try TailProcess.annalsExecutable()
        let count = settings.tailEvents
        let warmUp = settings.tailWarmUpEvents
        let rate = settings.tailEventsPerSecond
        precondition(warmUp > 0 && warmUp + count <= workload.newEvents.count, "the workload is too small")
        let warmUpEvents = Array(workload.newEvents.prefix(warmUp))
        let events = Array(workload.newEvents[warmUp..<(warmUp + count)])

        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let store = try EventStore(path: path, options: .bareLog)
            defer { store.close() }

            progress(
                "tail.latency: `annals tail -f` in a child process, \(count) single-event durable appends at "
                    + "\(whole(rate)) events/s after \(warmUp) warm-up events")
            let tail = try TailProcess(
                executable: executable, arguments: ["tail", "-f", "--store", path, "--format", "jsonl"])
            defer { tail.terminate() }
            let (_, startup) = try timed { try tail.waitUntilIdle() }
            progress("  started and idle after \(fixedPoint(startup, decimals: 2)) s")
            let warm = try PacedAppender.append(warmUpEvents, to: store, perSecond: rate)
            try expectDelivery(of: warm.offsets.last!, by: tail)
            try tail.waitUntilIdle()
            let run = try PacedAppender.append(events, to: store, perSecond: rate)
            try expectDelivery(of: run.offsets.last!, by: tail)
            let arrivals = try tail.stop()
            if tail.exitCode != 0 {
                progress(
                    "  note: annals tail ended with \(tail.exitCode.map { "exit code \($0)" } ?? "a signal") on SIGTERM"
                )
            }
            let crossProcess = try latencies(of: run, arrivals: arrivals, source: "annals tail")
            progress(paceSummary(run))
            progress("  cross-process: \(crossProcess.summary)")
            let fromSubmission = try latencies(of: run, arrivals: arrivals, source: "annals tail", fromSubmission: true)
            progress("  cross-process, from submission: \(fromSubmission.summary)")

            progress("tail.latency baseline: in-process Subscription on the same store, same pacing")
            var baseline: LatencySamples?
            do {
                baseline = try await inProcessLatencies(
                    store: store, warmUpEvents: warmUpEvents, events: events, perSecond: rate)
                progress("  in-process: \(baseline!.summary)")
            } catch {
                progress("  the in-process baseline failed: \(error)")
            }

            for (name, percent, limit) in [
                ("tail.latency.p50", 50.0, p50LimitMilliseconds), ("tail.latency.p99", 99.0, p99LimitMilliseconds),
            ] {
                let baselines = baseline.map { samples in
                    [
                        BaselineComparison(
                            name: "in-process Subscription p\(whole(percent))", value: samples.percentile(percent),
                            minimumRatio: nil)
                    ]
                }
                report.record(
                    name, value: crossProcess.percentile(percent), unit: "ms",
                    target: AbsoluteTarget(direction: .atMost, limit: limit, text: "<= \(whole(limit)) ms"),
                    informationalBaselines: baselines ?? [])
            }
        }
    }

    /// Throws unless the tail prints the line for `offset` within ``deliveryTimeout``.
    private static func expectDelivery(of offset: UInt64, by tail: TailProcess) throws {
        guard tail.waitForOffset(offset, timeout: deliveryTimeout) else {
            throw BenchError(
                call: "annals tail", code: 0,
                message: "no line for offset \(offset) within \(whole(deliveryTimeout)) s of its commit")
        }
    }

    /// Each event's latency: when its line was read minus when its append returned.
    /// - Throws: ``BenchError`` naming the first event whose line never arrived.
    /// With `fromSubmission`, measured from when each append was submitted instead.
    private static func latencies(
        of run: PacedAppender.Run, arrivals: [UInt64: UInt64], source: String, fromSubmission: Bool = false
    ) throws -> LatencySamples {
        var milliseconds: [Double] = []
        milliseconds.reserveCapacity(run.offsets.count)
        for (offset, committed) in zip(run.offsets, fromSubmission ? run.submittedAt : run.committedAt) {
            guard let arrived = arrivals[offset] else {
                throw BenchError(call: source, code: 0, message: "never delivered offset \(offset)")
            }
            milliseconds.append(Double(Int64(bitPattern: arrived &- committed)) / 1e6)
        }
        return LatencySamples(milliseconds: milliseconds)
    }

    /// The same measurement with an in-process subscription consuming on the cooperative thread pool while this
    /// thread appends.
    private static func inProcessLatencies(
        store: EventStore, warmUpEvents: [NewEvent], events: [NewEvent], perSecond rate: Double
    ) async throws -> LatencySamples {
        let subscription = try store.subscribe(filter: EventFilter(), start: .end)
        let expected = warmUpEvents.count + events.count
        let consumer = Task.detached { () async throws -> [UInt64: UInt64] in
            var arrivals: [UInt64: UInt64] = [:]
            arrivals.reserveCapacity(expected)
            for try await event in subscription {
                arrivals[event.offset] = monotonicNanoseconds()
                if arrivals.count == expected { break }
            }
            return arrivals
        }
        let run: PacedAppender.Run
        do {
            _ = try PacedAppender.append(warmUpEvents, to: store, perSecond: rate)
            try await Task.sleep(for: .milliseconds(200))
            run = try PacedAppender.append(events, to: store, perSecond: rate)
        } catch {
            consumer.cancel()
            throw error
        }
        // A subscription notices cancellation within its quarter-second poll interval.
        let watchdog = Task.detached {
            try await Task.sleep(for: .seconds(deliveryTimeout))
            consumer.cancel()
        }
        defer { watchdog.cancel() }
        let arrivals = try await consumer.value
        progress(paceSummary(run))
        return try latencies(of: run, arrivals: arrivals, source: "Subscription")
    }

    /// A progress line on the pacing actually achieved.
    private static func paceSummary(_ run: PacedAppender.Run) -> String {
        "  appended at \(whole(run.eventsPerSecond)) events/s; \(run.lateSubmissions) submissions over 1 ms late; "
            + "append (submit to durable return): \(run.appendMilliseconds.summary)"
    }
}
