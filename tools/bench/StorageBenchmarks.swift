import Annals

/// `storage`: the bytes a store occupies (LMDB pages in use: log, indexes, dictionaries) per byte of the raw JSON
/// lines appended, with the raw LMDB and SQLite stores of the same events for information.
enum StorageBenchmarks {
    /// The largest acceptable stored ÷ raw JSON ratio.
    static let maximumRatio = 0.5

    /// Records `storage` for `store`, which holds exactly the events of `workload`.
    /// - Parameters:
    ///   - store: The store `append.batch` wrote, reopened.
    ///   - workload: The events appended; its raw JSON size is the denominator.
    ///   - raw: The raw LMDB baseline run on the same events (JSON values, no indexes).
    ///   - sqlite: The SQLite baseline run on the same events (JSON bodies, two indexes).
    ///   - report: Where the figure goes.
    /// - Throws: ``AnnalsError`` when the statistics cannot be read.
    static func run(
        _ store: EventStore, workload: BenchWorkload, raw: BaselineRun, sqlite: BaselineRun, report: BenchReport
    ) throws {
        let statistics = try store.statistics()
        let rawJSON = Double(workload.rawJSONBytes)
        let ratio = Double(statistics.usedBytes) / rawJSON
        progress(
            "storage: \(whole(megabytes(statistics.usedBytes))) MB used for "
                + "\(whole(megabytes(workload.rawJSONBytes))) MB of JSON")
        progress(
            "  payload \(whole(megabytes(Int(statistics.payloadBytes)))) MB, records "
                + "\(whole(megabytes(Int(statistics.recordBytes)))) MB (compression "
                + "\(fixedPoint(statistics.compressionRatio, decimals: 2))x), dictionaries "
                + statistics.dictionaries.map { "#\($0.id) \($0.size) B" }.joined(separator: ", "))
        for database in statistics.databases.sorted(by: { $0.bytes > $1.bytes }) {
            progress(
                "  \(database.name): \(fixedPoint(megabytes(database.bytes), decimals: 1)) MB, "
                    + "\(database.entries) entries")
        }
        report.record(
            "storage", value: ratio, unit: "ratio",
            target: AbsoluteTarget(direction: .atMost, limit: maximumRatio, text: "<= 0.5 of raw JSON"),
            informationalBaselines: [
                BaselineComparison(
                    name: "raw LMDB, uncompressed", value: Double(raw.storedBytes) / rawJSON, minimumRatio: nil),
                BaselineComparison(
                    name: "SQLite, 2 indexes", value: Double(sqlite.storedBytes) / rawJSON, minimumRatio: nil),
            ])
    }
}
