#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// annals-bench [--quick] [--output PATH] [--only NAMES] [--write-history PATH]: the engine's figures and their baselines,
// measured in one run.

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
if let path = arguments.historyPath {
    do {
        try HistoryExport.write(OntologyWorkload.make(settings.ontologyHistory, seed: settings.seed).events, to: path)
        exit(0)
    } catch {
        writeToStandardError("annals-bench: cannot write the history to \(path): \(error)\n")
        exit(1)
    }
}
/// Where every figure is recorded as it is measured.
let report = BenchReport(path: arguments.outputPath)
/// Whether any benchmark failed to run (as opposed to missing its target).
var failed = false

/// The benchmarks that append and read the generated log workload.
let logBenchmarks = ["append.batch", "append.concurrent", "subscribe.catchup", "replay.audit", "tail.latency"]
if arguments.runsAny(logBenchmarks) {
    progress("annals-bench \(settings.name): generating \(settings.events) events (seed \(settings.seed))")
    /// The events every log benchmark appends, generated and converted before anything is timed.
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

    if arguments.runs("append.batch") {
        do {
            try await AppendBenchmarks.run(workload, settings: settings, report: report)
        } catch {
            failed = true
            progress("annals-bench: the batch append benchmarks failed: \(error)")
        }
    }
    if arguments.runs("append.concurrent") {
        do {
            try await ConcurrentBenchmarks.run(workload, settings: settings, report: report)
        } catch {
            failed = true
            progress("annals-bench: the concurrent append benchmark failed: \(error)")
        }
    }
    if arguments.runsAny(["subscribe.catchup", "replay.audit"]) {
        do {
            try await PrefilledStore.with(workload, settings: settings) { store in
                if arguments.runs("subscribe.catchup") {
                    do {
                        try await SubscribeCatchupBenchmarks.run(
                            store, expectedEvents: settings.events, report: report)
                    } catch {
                        failed = true
                        progress("annals-bench: the subscription catch-up benchmark failed: \(error)")
                    }
                }
                if arguments.runs("replay.audit") {
                    do {
                        try ReplayAuditBenchmarks.run(store, expectedEvents: settings.events, report: report)
                    } catch {
                        failed = true
                        progress("annals-bench: the audit replay benchmark failed: \(error)")
                    }
                }
            }
        } catch {
            failed = true
            progress("annals-bench: cannot fill the store for the catch-up and audit benchmarks: \(error)")
        }
    }
    if arguments.runs("tail.latency") {
        do {
            try await TailLatencyBenchmarks.run(workload, settings: settings, report: report)
        } catch {
            failed = true
            progress("annals-bench: the tail latency benchmark failed: \(error)")
        }
    }
}

if arguments.runsAny(["append.batch.projected", "state.at", "rebuild.all"]) {
    let shape = settings.ontologyHistory
    progress("generating an ontology history of \(shape.events) events (seed \(settings.seed))")
    /// The ontology events `append.batch.projected` appends and the `state.at` and `rebuild.all` store holds.
    let (history, seconds) = timed { OntologyWorkload.make(shape, seed: settings.seed) }
    progress("  \(history.summary), in \(fixedPoint(seconds, decimals: 1)) s")

    if arguments.runs("append.batch.projected") {
        do {
            try await ProjectedAppendBenchmarks.run(history, settings: settings, report: report)
        } catch {
            failed = true
            progress("annals-bench: the projected batch append benchmark failed: \(error)")
        }
    }
    if arguments.runsAny(["state.at", "rebuild.all"]) {
        do {
            try await PrefilledOntologyStore.with(history, settings: settings) { store in
                if arguments.runs("state.at") {
                    do {
                        try StateAtBenchmarks.run(store, workload: history, settings: settings, report: report)
                    } catch {
                        failed = true
                        progress("annals-bench: the state.at benchmark failed: \(error)")
                    }
                }
                if arguments.runs("rebuild.all") {
                    do {
                        try RebuildBenchmarks.run(store, expectedEvents: history.events.count, report: report)
                    } catch {
                        failed = true
                        progress("annals-bench: the rebuild benchmark failed: \(error)")
                    }
                }
            }
        } catch {
            failed = true
            progress("annals-bench: cannot fill the store for the state.at and rebuild benchmarks: \(error)")
        }
    }
}
if arguments.runs("search.vector") {
    do {
        try await VectorSearchBenchmarks.run(settings: settings, report: report)
    } catch {
        failed = true
        progress("annals-bench: the vector search benchmark failed: \(error)")
    }
}

if arguments.runs("plugin.sync") {
    do {
        try await PlatformBenchmarks.run(settings: settings, report: report)
    } catch {
        failed = true
        progress("annals-bench: the plugin sync and search benchmarks failed: \(error)")
    }
}
if arguments.runs("resolve") {
    do {
        try ResolutionBenchmarks.run(settings: settings, report: report)
    } catch {
        failed = true
        progress("annals-bench: the resolution benchmark failed: \(error)")
    }
}
if arguments.runs("plugin.invoke") {
    do {
        try SandboxBenchmarks.run(settings: settings, report: report, pluginsDirectory: ".build/plugins")
    } catch {
        failed = true
        progress("annals-bench: the plugin invocation benchmarks failed: \(error)")
    }
}

if arguments.runs("plugin.dispatch") {
    do {
        try await DispatchBenchmarks.run(settings: settings, report: report, pluginsDirectory: ".build/plugins")
    } catch {
        failed = true
        progress("annals-bench: the plugin dispatch benchmark failed: \(error)")
    }
}

progress("done; results in \(report.path)")
report.printTable()
exit(failed ? 1 : 0)
