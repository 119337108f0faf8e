/// The command line of `annals-bench`: `annals-bench [--quick] [--output PATH]`.
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

    /// The help text, printed by `--help` and after a bad argument.
    static let usage = """
        usage: annals-bench [--quick] [--output PATH]

        Runs the engine benchmarks and their raw LMDB and SQLite baselines in one run, writes one JSON line per
        figure and baseline, and prints a table. Exits 0 when every benchmark ran, missed targets included.

          --quick        100,000 events and 20,000 concurrent appends instead of 1,000,000 and 100,000
          --output PATH  the JSON Lines results file (default: bench-results.jsonl), for example
                         --output /tmp/bench-quick.jsonl
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
            case "-h", "--help":
                parsed.help = true
            default:
                throw BenchUsageError(message: "unknown argument '\(argument)'")
            }
        }
        return parsed
    }
}

/// A command line `annals-bench` does not understand.
struct BenchUsageError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, such as `unknown argument '--fast'`.
    let message: String

    /// The message.
    var description: String { message }
}
