import Annals
import AnnalsPlatform
import Foundation

/// `plugin.sync` and `plugin.search`: the plugin platform over the real ElizaOS registry.
///
/// `plugin.sync` syncs `generated-registry.json` (372 plugins) into a fresh store with the default durability,
/// including the knowledge indexing that search needs, five times (a fresh store each time), and records the
/// median; the informational baseline is parsing the same file with Foundation's `JSONSerialization`, the floor
/// of any sync. `plugin.search` then times the labelled queries of the search tests (each many times) through
/// `PluginPlatform.search`, against the engine's plain `EventStore.search` of the same texts (no stemming,
/// thesaurus or visibility), which measures what the platform adds.
enum PlatformBenchmarks {
    /// The most a sync may take, in milliseconds.
    static let syncLimitMilliseconds = 2_000.0
    /// The most a search's median may be, in milliseconds.
    static let searchLimitMilliseconds = 20.0
    /// The queries timed by `plugin.search`.
    static let queries = [
        "trade on a crypto exchange", "store agent memory in postgres", "post tweets on twitter", "generate images",
        "text to speech voice", "current weather forecast", "search the web for news", "solana wallet tokens",
        "run a local llm with ollama", "discord bot", "mint nft collections", "redis cache",
    ]

    /// The ElizaOS registry directory: `$ANNALS_ELIZAOS_REGISTRY`, else `../shared/data/elizaos-registry`, else
    /// the copy in `Tests/Fixtures/elizaos-registry` (run from the repository's root, as `make bench` does).
    static var registryDirectory: String {
        if let path = ProcessInfo.processInfo.environment["ANNALS_ELIZAOS_REGISTRY"], !path.isEmpty { return path }
        let shared = FileManager.default.currentDirectoryPath + "/../shared/data/elizaos-registry"
        if FileManager.default.fileExists(atPath: shared + "/generated-registry.json") { return shared }
        return FileManager.default.currentDirectoryPath + "/Tests/Fixtures/elizaos-registry"
    }

    /// Runs both benchmarks and records their figures.
    /// - Throws: ``BenchError`` when the registry is missing or a sync or search comes back wrong.
    static func run(
        settings: BenchSettings, report: BenchReport, isolation: isolated (any Actor)? = #isolation
    ) async throws {
        let file = registryDirectory + "/generated-registry.json"
        guard let bytes = FileManager.default.contents(atPath: file) else {
            throw BenchError(call: "open", code: 0, message: "no ElizaOS registry at \(file)")
        }
        let runs = settings.name == "quick" ? 3 : 5
        progress("plugin.sync: \(runs) syncs of \(file), each into a fresh store")
        var syncs: [Double] = []
        var parses: [Double] = []
        try await withTemporaryDirectory { directory in
            for run in 0..<runs {
                let store = try EventStore(path: directory + "/store-\(run)")
                defer { store.close() }
                let platform = PluginPlatform(store: store)
                let (synced, seconds) = try await timed {
                    try await platform.sync(RegistrySource(file), scope: .global, actorId: "bench")
                }
                guard synced.added.count == 372, synced.problems.isEmpty else {
                    throw BenchError(
                        call: "PluginPlatform.sync", code: 0,
                        message: "added \(synced.added.count), skipped \(synced.problems.count)")
                }
                syncs.append(seconds * 1_000)
                parses.append(try timed { try JSONSerialization.jsonObject(with: bytes) }.seconds * 1_000)
                if run == runs - 1 { try searchBenchmark(platform, settings: settings, report: report) }
            }
        }
        let sync = LatencySamples(milliseconds: syncs)
        let parse = LatencySamples(milliseconds: parses)
        progress("  sync \(sync.summary); JSONSerialization parse \(parse.summary)")
        report.record(
            BenchFigure(
                name: "plugin.sync", value: sync.percentile(50), unit: "ms",
                baseline: "JSONSerialization parse of the same file", baselineValue: parse.percentile(50),
                target: "<= 2000 ms", passed: sync.percentile(50) <= syncLimitMilliseconds))
    }

    /// Times the labelled queries through the platform and through the engine's plain search.
    private static func searchBenchmark(
        _ platform: PluginPlatform, settings: BenchSettings, report: BenchReport
    ) throws {
        let rounds = settings.name == "quick" ? 5 : 20
        progress("plugin.search: \(queries.count) queries × \(rounds) rounds over 372 plugins, after one warm-up")
        for query in queries { _ = try platform.search(query, limit: 5) }
        var platformTimes: [Double] = []
        var engineTimes: [Double] = []
        for _ in 0..<rounds {
            for query in queries {
                let (results, seconds) = try timed { try platform.search(query, limit: 5) }
                guard !results.isEmpty else {
                    throw BenchError(call: "PluginPlatform.search", code: 0, message: "no results for '\(query)'")
                }
                platformTimes.append(seconds * 1_000)
                engineTimes.append(
                    try timed { try platform.store.search(SearchQuery(query, limit: 5)) }.seconds * 1_000)
            }
        }
        let searches = LatencySamples(milliseconds: platformTimes)
        let plain = LatencySamples(milliseconds: engineTimes)
        progress("  platform \(searches.summary); engine search alone \(plain.summary)")
        report.recordPercentiles(
            "plugin.search", samples: searches,
            p50Target: AbsoluteTarget(direction: .atMost, limit: searchLimitMilliseconds, text: "<= 20 ms"),
            baseline: ("EventStore.search of the raw query", plain))
    }
}
