import Annals
import AnnalsPlatform
import ArgumentParser

/// `annals plugin artifacts …`: the cache of plugin modules downloaded at sync.
struct PluginArtifacts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifacts",
        abstract: "The cache of plugin modules downloaded at sync (<store>/artifacts/<sha256>.wasm).",
        subcommands: [PluginArtifactsPrune.self])
}

/// `annals plugin artifacts prune [--dry-run]`.
struct PluginArtifactsPrune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove the cached modules no event of the log records, and stale temporary files.",
        discussion: """
            A module is kept while a release of any registry references it (withdrawn plugins and yanked versions \
            included), an install of any organization has, or once had, its version (a plugin rollback may \
            return to it), or any plugin event of the log recorded it (an annals rollback may restore its release): \
            only modules no event records are removed, such as one a sync downloaded before its append failed. \
            A temporary file of an interrupted download is removed once older than an hour; \
            anything else in the directory is left alone. A sync downloading modules waits for the prune, and the \
            prune for it. Prints one JSON line per file: {"file","kind","bytes","action","reason","references"} \
            (action: removed, kept, or would-remove with --dry-run), then {"directory","dryRun","removed", \
            "removedBytes","kept","keptBytes","failed"}. Exit code 5 when a file could not be removed (the others \
            still are). Example: annals plugin artifacts prune --dry-run
            """)

    @OptionGroup var location: StoreLocation

    @Flag(help: "Print what would be removed; remove nothing.")
    var dryRun = false

    func run() throws {
        let store = try location.openCheckingEveryPage(writing: false)
        defer { store.close() }
        let report = try PluginPlatform(store: store).pruneArtifacts(dryRun: dryRun)
        for file in report.files { try Output.standard.line(file.json.canonicalBytes) }
        try Output.standard.line(report.json.canonicalBytes)
        if let first = report.failedRemovals.first {
            let reason = report.files.first { $0.name == first }?.reason ?? "cannot be removed"
            throw CLIFailure(
                .storage,
                "\(report.failedRemovals.count) cached file(s) could not be removed, such as \(first) in "
                    + "\(report.directory) (\(reason))")
        }
    }
}
