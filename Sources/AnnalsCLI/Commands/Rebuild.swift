import Annals
import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// `annals rebuild`: replays the log into fresh projection views and swaps them in.
struct Rebuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild projection views (things, connections, knowledge) from the log.",
        discussion: """
            Replays the whole log into fresh tables while readers and writers keep using the current view, then \
            swaps the new view in atomically. An interrupted rebuild (killed, crashed) resumes where it stopped. \
            The swap deletes the snapshots of the replaced view (copies of it, which may hold the damage a rebuild \
            repairs). Prints one JSON line per projection: {"projection","checkpoint","resumed","droppedSnapshots"}; \
            with --verify also "digest", "previousDigest", "matches" and "differences" (the current view compared \
            with the rebuilt one). Exit code 1 when --verify found differences (they are listed on stderr; the \
            rebuilt view replaces the damaged one). A progress bar is shown on stderr when it is a terminal.
            Examples: annals rebuild --all --verify; annals rebuild things
            """)

    /// The projections a store opened by the CLI registers.
    static var registered: [String] { OntologyProjections.standard.map(\.name) }

    @OptionGroup var location: StoreLocation

    @Argument(help: ArgumentHelp("The projections to rebuild: things, connections, knowledge.", valueName: "name"))
    var names: [String] = []

    @Flag(help: "Rebuild every registered projection.")
    var all = false

    @Flag(help: "Compare the current view with the rebuilt one and report differences (exit code 1).")
    var verify = false

    func validate() throws {
        if names.isEmpty && !all { throw ValidationError("name the projections to rebuild, or pass --all") }
        if !names.isEmpty && all { throw ValidationError("give projection names or --all, not both") }
        let registered = Self.registered
        for name in names where !registered.contains(name) {
            throw ValidationError(
                "no projection named '\(name)' (registered: \(registered.joined(separator: ", ")))")
        }
    }

    func run() throws {
        let store = try location.openForWriting()
        defer { store.close() }
        var selected: [String] = []
        for name in all ? Self.registered : names where !selected.contains(name) { selected.append(name) }
        let bar = isatty(2) == 1 ? RebuildProgressBar() : nil
        let progress: ((RebuildProgressReport) -> Void)? = bar.map { bar in { report in bar.show(report) } }
        let results: [RebuildResult]
        do {
            results = try store.rebuild(selected, verify: verify, progress: progress)
            bar?.finish()
        } catch {
            bar?.finish()
            throw error
        }
        var damaged: [RebuildResult] = []
        for result in results {
            try Output.standard.line(json(result).canonicalBytes)
            if verify && !Self.matches(result) { damaged.append(result) }
        }
        guard !damaged.isEmpty else { return }
        try Output.standard.flush()
        for result in damaged {
            if let failure = result.previousCatchUpFailure {
                CLIFailure.printError("projection '\(result.name)': the current view was behind the log: \(failure)")
            } else if result.differences.isEmpty {
                CLIFailure.printError("projection '\(result.name)': the digests differ")
            }
            for difference in result.differences {
                CLIFailure.printError("projection '\(result.name)': \(difference)")
            }
        }
        reportDroppedSnapshots(results)
        throw CLIFailure(
            .damaged,
            "the current view of \(damaged.map(\.name).joined(separator: ", ")) differed from the log; "
                + "the rebuilt view replaced it")
    }

    /// Says which snapshots the rebuild deleted once a view was found differing from the log: snapshots are copies of
    /// the views, so those of the damaged one may hold the same damage, which `state` would print and `rollback` would
    /// write back into the log; the swap deleted them (`RebuildResult.droppedSnapshots`).
    private func reportDroppedSnapshots(_ results: [RebuildResult]) {
        let deleted = Set(results.flatMap(\.droppedSnapshots)).sorted()
        guard !deleted.isEmpty else { return }
        let offsets = deleted.map(String.init).joined(separator: ", ")
        CLIFailure.printError(
            "deleted \(deleted.count) snapshot(s) (offsets \(offsets)): "
                + "copies of the views, they may hold the same damage, which state and rollback would read; "
                + "'annals snapshot create' takes a new one")
    }

    /// Whether the previous view equals the rebuilt one (true when there was no previous view to compare); never
    /// when it was behind the log and could not be caught up.
    static func matches(_ result: RebuildResult) -> Bool {
        result.differences.isEmpty && result.previousCatchUpFailure == nil
            && (result.previousDigest.map { $0.hex == result.digest?.hex } ?? true)
    }

    private func json(_ result: RebuildResult) -> JSONValue {
        var members: [String: JSONValue] = [
            "projection": .string(result.name), "checkpoint": .integer(result.checkpoint),
            "resumed": .bool(result.resumed),
            "droppedSnapshots": .array(result.droppedSnapshots.map { .integer($0) }),
        ]
        if verify {
            members["digest"] = result.digest.map { .string($0.hex) } ?? .null
            members["previousDigest"] = result.previousDigest.map { .string($0.hex) } ?? .null
            members["matches"] = result.previousDigest == nil ? .null : .bool(Self.matches(result))
            members["differences"] = .array(result.differences.map { .string($0.description) })
            if let failure = result.previousCatchUpFailure { members["previousCatchUpFailure"] = .string(failure) }
        }
        return .object(members)
    }
}

/// A one-line progress bar on stderr: projections, replayed/total, percent, events per second and time left.
/// Redrawn at most ten times a second.
final class RebuildProgressBar {
    private var lastDrawn = -1.0
    private var width = 0

    /// Draws `report` unless the last drawing was less than 0.1 s ago (the final report is always drawn).
    func show(_ report: RebuildProgressReport) {
        let done = report.total > 0 && report.replayed >= report.total
        guard done || report.elapsed - lastDrawn >= 0.1 else { return }
        lastDrawn = report.elapsed
        let fraction = report.total > 0 ? min(1, Double(report.replayed) / Double(report.total)) : 1
        let filled = Int((fraction * 24).rounded(.down))
        let eta = report.secondsLeft.map { Self.duration($0) } ?? (done ? "0s" : "?")
        let line =
            "rebuild \(report.projections.joined(separator: ","))"
            + " [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 24 - filled))]"
            + " \(report.replayed)/\(report.total) \(Int((fraction * 100).rounded(.down)))%"
            + " \(Int(report.eventsPerSecond.rounded())) events/s ETA \(eta)"
        let padding = String(repeating: " ", count: max(0, width - line.count))
        width = line.count
        write("\r" + line + padding)
    }

    /// Ends the bar's line.
    func finish() { write("\n") }

    private func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress!, $0.count) }
    }

    private static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        return total >= 60 ? "\(total / 60)m\(total % 60)s" : "\(total)s"
    }
}
