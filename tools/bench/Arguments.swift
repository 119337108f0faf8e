/// The command line of `annals-bench`: `annals-bench [--quick] [--output PATH] [--only NAME[,NAME…]]`.
///
/// ```swift
/// let arguments = try BenchArguments.parse(Array(CommandLine.arguments.dropFirst()))
/// let settings = BenchSettings(quick: arguments.quick)
/// ```
struct BenchArguments: Sendable {
    /// Whether to run the short configuration (about a minute) instead of the full one.
    var quick = false
    /// Where the results go, one JSON object per line.
    var outputPath = "bench-results.jsonl"
    /// Whether `--help` was given: print ``usage`` and run nothing.
    var help = false
    /// The benchmark and figure names `--only` selected, or `nil` to run everything.
    var only: Set<String>?
    /// Where `--write-history` writes the ontology history as JSON lines (and runs no benchmark), if given.
    var historyPath: String?

    /// The benchmarks, in the order a run measures them, each with the figures it records; `--only` takes either.
    static let benchmarks: [(name: String, figures: [String])] = [
        (
            "append.batch",
            [
                "append.batch.pipelined", "append.batch.peak_rss", "append.batch.peak_rss.process", "read.scan",
                "storage",
            ]
        ),
        ("append.concurrent", []),
        ("subscribe.catchup", []),
        ("replay.audit", []),
        ("tail.latency", ["tail.latency.p50", "tail.latency.p99"]),
        ("append.batch.projected", []),
        ("state.at", ["state.at.p50", "state.at.p99", "state.at.thing.p50", "state.at.thing.p99"]),
        ("rebuild.all", ["rebuild.all.peak_rss", "rebuild.all.peak_rss.process"]),
        ("search.vector", ["search.vector.p50", "search.vector.p99"]),
        ("plugin.sync", ["plugin.search", "plugin.search.p50", "plugin.search.p99"]),
        ("resolve", ["resolve.synthetic2000.p50", "resolve.synthetic2000.p99"]),
        (
            "plugin.invoke",
            ["plugin.invoke.p50", "plugin.invoke.p99", "plugin.invoke.throughput", "plugin.runaway.stop"]
        ),
        ("plugin.dispatch", []),
    ]

    /// Whether this run measures `benchmark` (one of ``benchmarks``' names): always without `--only`, otherwise
    /// when `--only` named it or one of its figures.
    func runs(_ benchmark: String) -> Bool {
        guard let only else { return true }
        guard let entry = Self.benchmarks.first(where: { $0.name == benchmark }) else { return false }
        return only.contains(entry.name) || entry.figures.contains(where: only.contains)
    }

    /// Whether this run measures any of `benchmarks`.
    func runsAny(_ benchmarks: [String]) -> Bool { benchmarks.contains(where: runs) }

    /// The help text, printed by `--help` and after a bad argument.
    static let usage = """
        usage: annals-bench [--quick] [--output PATH] [--only NAME[,NAME...]]

        Runs the engine benchmarks and their raw LMDB and SQLite baselines in one run, writes one JSON line per
        figure and baseline, and prints a table. Exits 0 when every benchmark ran, missed targets included.

          --quick        100,000 events and 20,000 concurrent appends instead of 1,000,000 and 100,000, and a
                         twentieth of the projection benchmarks' sizes
          --output PATH  the JSON Lines results file (default: bench-results.jsonl), for example
                         --output /tmp/bench-quick.jsonl
          --only NAMES   run only these benchmarks (comma-separated; repeatable): append.batch (with
                         append.batch.pipelined, read.scan and storage), append.concurrent, subscribe.catchup,
                         replay.audit, tail.latency, append.batch.projected, state.at, rebuild.all,
                         search.vector, plugin.sync (with plugin.search), resolve, plugin.invoke, plugin.dispatch; a figure's
                         name selects the benchmark that records it, for example --only state.at,rebuild.all
          --write-history PATH
                         write the ontology history of append.batch.projected, state.at and rebuild.all as the
                         JSON lines `annals append` reads (50,000 events with --quick), and run no benchmark:
                         tools/profile/count-instructions.sh builds its store from them
          -h, --help     print this help
        """

    /// Parses `arguments`, the command line without the program name.
    /// - Throws: ``BenchUsageError`` for an unknown option or a missing value.
    static func parse(_ arguments: [String]) throws(BenchUsageError) -> BenchArguments {
        var parsed = BenchArguments()
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--quick":
                parsed.quick = true
            case "--output":
                guard let path = remaining.popFirst(), !path.isEmpty else {
                    throw BenchUsageError(message: "--output needs a path")
                }
                parsed.outputPath = path
            case _ where argument.hasPrefix("--output="):
                let path = String(argument.dropFirst("--output=".count))
                guard !path.isEmpty else { throw BenchUsageError(message: "--output needs a path") }
                parsed.outputPath = path
            case "--only":
                guard let names = remaining.popFirst() else { throw BenchUsageError(message: "--only needs names") }
                try parsed.select(names)
            case _ where argument.hasPrefix("--only="):
                try parsed.select(String(argument.dropFirst("--only=".count)))
            case "--write-history":
                guard let path = remaining.popFirst(), !path.isEmpty else {
                    throw BenchUsageError(message: "--write-history needs a path")
                }
                parsed.historyPath = path
            case "-h", "--help":
                parsed.help = true
            default:
                throw BenchUsageError(message: "unknown argument '\(argument)'")
            }
        }
        return parsed
    }

    /// Adds the comma-separated benchmark or figure `names` to ``only``.
    /// - Throws: ``BenchUsageError`` for an empty list or a name no benchmark answers to.
    private mutating func select(_ names: String) throws(BenchUsageError) {
        let known = Set(Self.benchmarks.flatMap { [$0.name] + $0.figures })
        let list = names.split(separator: ",").map(String.init)
        guard !list.isEmpty else { throw BenchUsageError(message: "--only needs names") }
        for name in list where !known.contains(name) {
            throw BenchUsageError(
                message: "--only: no benchmark or figure is called '\(name)' (benchmarks: "
                    + Self.benchmarks.map(\.name).joined(separator: ", ") + ")")
        }
        only = (only ?? []).union(list)
    }
}

/// A command line `annals-bench` does not understand.
struct BenchUsageError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, such as `unknown argument '--fast'`.
    let message: String

    /// The message.
    var description: String { message }
}
