#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import Annals

/// `append.batch`, `append.batch.pipelined` and `append.batch.peak_rss`, with their raw LMDB and SQLite
/// baselines run on the same events in the same process.
///
/// The store the sequential client writes is then reopened and handed to ``ReadBenchmarks`` and
/// ``StorageBenchmarks``, so `read.scan` and `storage` measure exactly what `append.batch` produced.
enum AppendBenchmarks {
    /// The least engine ÷ raw LMDB throughput `append.batch` must reach.
    static let rawLMDBMinimumRatio = 0.5
    /// The least engine ÷ SQLite throughput `append.batch` must reach.
    static let sqliteMinimumRatio = 2.0
    /// The most the process may grow, in MB, while the sequential client appends.
    static let peakRSSLimitMB = 300.0

    /// Runs the baselines, the sequential and pipelined engine clients, and the read and storage benchmarks on the
    /// sequential client's store, recording every figure in `report`.
    /// - Throws: The first error from the engine or a baseline.
    static func run(
        _ workload: BenchWorkload, settings: BenchSettings, report: BenchReport,
        isolation: isolated (any Actor)? = #isolation
    ) async throws {
        let batchSize = settings.batchSize
        let batches = workload.batches(of: batchSize)
        let count = workload.events.count

        progress("append.batch baseline: raw LMDB, \(count) events, \(batchSize) per synced transaction")
        let (raw, rawScan) = try withTemporaryDirectory { directory in
            let run = try rawLMDBBatchAppend(events: workload.events, batchSize: batchSize, directory: directory)
            progress("  \(whole(run.eventsPerSecond)) events/s in \(fixedPoint(run.seconds, decimals: 2)) s")
            let scan = try ReadBenchmarks.best(of: ReadBenchmarks.passes) { try rawLMDBScan(directory: directory) }
            progress(
                "  raw LMDB cursor scan: \(whole(scan.eventsPerSecond)) events/s (best of \(ReadBenchmarks.passes))")
            return (run, scan)
        }
        progress("append.batch baseline: SQLite WAL, synchronous=FULL, \(batchSize) per transaction")
        let sqlite = try withTemporaryDirectory { directory in
            try sqliteBatchAppend(events: workload.events, batchSize: batchSize, directory: directory)
        }
        progress("  \(whole(sqlite.eventsPerSecond)) events/s in \(fixedPoint(sqlite.seconds, decimals: 2)) s")
        let baselines = [
            BaselineComparison(
                name: "raw LMDB batch \(batchSize)", value: raw.eventsPerSecond, minimumRatio: rawLMDBMinimumRatio),
            BaselineComparison(
                name: "SQLite WAL FULL batch \(batchSize)", value: sqlite.eventsPerSecond,
                minimumRatio: sqliteMinimumRatio),
        ]

        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            progress("append.batch: engine, sequential client, \(batches.count) batches of \(batchSize), .sync")
            let memory = MemoryProbe()
            let store = try EventStore(path: path, options: .bareLog)
            let commitsBefore = store.commitSequence
            let seconds = try await AppendClients.sequential(batches, to: store)
            let (peakGrowth, peak) = memory.finish()
            let commits = store.commitSequence - commitsBefore
            try expectHead(of: store, count)
            store.close()
            let rate = Double(count) / seconds
            progress("  \(whole(rate)) events/s in \(fixedPoint(seconds, decimals: 2)) s")
            progress(commitSummary(commits: commits, events: count, seconds: seconds))
            progress("  peak RSS \(whole(megabytes(peak))) MB, \(whole(megabytes(peakGrowth))) MB above the start")
            report.record("append.batch", value: rate, unit: "events/s", comparedWith: baselines)
            report.record(
                "append.batch.peak_rss", value: megabytes(peakGrowth), unit: "MB",
                target: AbsoluteTarget(direction: .atMost, limit: peakRSSLimitMB, text: "<= 300 MB growth"))
            report.record(BenchFigure(name: "append.batch.peak_rss.process", value: megabytes(peak), unit: "MB"))

            let reopened = try EventStore(path: path, options: .bareLog)
            defer { reopened.close() }
            try ReadBenchmarks.run(reopened, expectedEvents: count, rawScan: rawScan, report: report)
            try StorageBenchmarks.run(reopened, workload: workload, raw: raw, sqlite: sqlite, report: report)
        }

        try withTemporaryDirectory { directory in
            let depth = settings.pipelineDepth
            progress("append.batch.pipelined: engine, up to \(depth) batches of \(batchSize) in flight, .sync")
            let store = try EventStore(path: directory + "/store", options: .bareLog)
            defer { store.close() }
            let commitsBefore = store.commitSequence
            let seconds = try AppendClients.pipelined(batches, to: store, depth: depth)
            let commits = store.commitSequence - commitsBefore
            try expectHead(of: store, count)
            let rate = Double(count) / seconds
            progress("  \(whole(rate)) events/s in \(fixedPoint(seconds, decimals: 2)) s")
            progress(commitSummary(commits: commits, events: count, seconds: seconds))
            report.record("append.batch.pipelined", value: rate, unit: "events/s", comparedWith: baselines)
        }
    }

    /// A progress line on group commit: how many commits `events` took and how long each took on average.
    ///
    /// `commits` is the growth of ``EventStore/commitSequence``, so a dictionary training's commit counts too.
    static func commitSummary(commits: UInt64, events: Int, seconds: Double) -> String {
        guard commits > 0 else { return "  no commits counted" }
        let perCommit = Double(events) / Double(commits)
        let milliseconds = seconds * 1_000 / Double(commits)
        return "  \(commits) commits: \(fixedPoint(perCommit, decimals: 1)) events and "
            + "\(fixedPoint(milliseconds, decimals: 3)) ms per commit"
    }

    /// Throws unless the log of `store` ends at offset `count`.
    static func expectHead(of store: EventStore, _ count: Int) throws {
        let head = try store.head().offset
        guard head == UInt64(count) else {
            throw BenchError(call: "EventStore.head", code: 0, message: "the log ends at \(head), not \(count)")
        }
    }
}

/// Measures how far the process's resident memory rises between its creation and ``finish()``.
///
/// Creating it returns freed heap to the kernel (`malloc_trim`), so memory left over from generating the workload
/// is not reused unseen, and resets the kernel's peak (`VmHWM`) to the current resident size.
struct MemoryProbe {
    /// The resident size when the probe started, in bytes.
    let startBytes: Int

    /// Trims the heap, resets the peak and notes the current resident size.
    init() {
        Self.trimHeap()
        ProcessMemory.resetPeakRSS()
        startBytes = ProcessMemory.currentRSSBytes()
    }

    /// Calls glibc's `malloc_trim(0)` when the C library has it (it is not in the imported headers).
    private static func trimHeap() {
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }

    /// The peak resident size since the probe started, as growth over the start and as an absolute, in bytes.
    func finish() -> (growth: Int, peak: Int) {
        let peak = max(ProcessMemory.peakRSSBytes(), startBytes)
        return (peak - startBytes, peak)
    }
}
