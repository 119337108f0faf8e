#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// annals-bench [--quick] [--output PATH]: the engine's figures and their baselines, measured in one run.

/// The parsed command line; a bad one prints the usage and exits 64 (`EX_USAGE`).
let arguments: BenchArguments
do {
    arguments = try BenchArguments.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    writeToStandardError("annals-bench: \(error)\n\n\(BenchArguments.usage)\n")
    exit(64)
}
if arguments.help {
    print(BenchArguments.usage)
    exit(0)
}

/// The sizes of this run.
let settings = BenchSettings(quick: arguments.quick)
/// Where every figure is recorded as it is measured.
let report = BenchReport(path: arguments.outputPath)
/// Whether any benchmark failed to run (as opposed to missing its target).
var failed = false

progress("annals-bench \(settings.name): generating \(settings.events) events (seed \(settings.seed))")
/// The events every benchmark appends, generated and converted before anything is timed.
let workload: BenchWorkload
do {
    let (generated, seconds) = try timed { try BenchWorkload.make(count: settings.events, seed: settings.seed) }
    workload = generated
    progress(
        "  \(whole(megabytes(workload.rawJSONBytes))) MB of JSON lines in \(fixedPoint(seconds, decimals: 1)) s, "
            + "process RSS \(whole(megabytes(ProcessMemory.currentRSSBytes()))) MB")
} catch {
    progress("annals-bench: cannot generate the workload: \(error)")
    exit(1)
}

do {
    try await AppendBenchmarks.run(workload, settings: settings, report: report)
} catch {
    failed = true
    progress("annals-bench: the batch append benchmarks failed: \(error)")
}
do {
    try await ConcurrentBenchmarks.run(workload, settings: settings, report: report)
} catch {
    failed = true
    progress("annals-bench: the concurrent append benchmark failed: \(error)")
}
do {
    try await PrefilledStore.with(workload, settings: settings) { store in
        do {
            try await SubscribeCatchupBenchmarks.run(store, expectedEvents: settings.events, report: report)
        } catch {
            failed = true
            progress("annals-bench: the subscription catch-up benchmark failed: \(error)")
        }
        do {
            try ReplayAuditBenchmarks.run(store, expectedEvents: settings.events, report: report)
        } catch {
            failed = true
            progress("annals-bench: the audit replay benchmark failed: \(error)")
        }
    }
} catch {
    failed = true
    progress("annals-bench: cannot fill the store for the catch-up and audit benchmarks: \(error)")
}
do {
    try await TailLatencyBenchmarks.run(workload, settings: settings, report: report)
} catch {
    failed = true
    progress("annals-bench: the tail latency benchmark failed: \(error)")
}

progress("done; results in \(report.path)")
report.printTable()
exit(failed ? 1 : 0)
