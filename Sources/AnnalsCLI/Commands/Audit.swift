import Annals
import ArgumentParser

/// `annals audit`: who did what and when, failed actions, and chain verification, anchored to the head.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report who did what and when, counts per actor and type, failed actions, and chain damage.",
        discussion: """
            The report is anchored to the head hash when it started (HASH@OFFSET) and is deterministic: the same log \
            gives byte-identical output. Exit code 1 when the verification of the range finds damage.
            Example: annals audit --group org-acme --since 2026-11-01 --type 'plugin_*' --format table
            """)

    @OptionGroup var location: StoreLocation

    /// `--from`, `--to`, `--type`, `--actor`, `--target`, `--group`, `--since` and `--until`, checked as `read` checks
    /// them.
    @OptionGroup var filters: EventFilterOptions

    @Option(
        help: "json (default: one JSON object on one line), jsonl (the same, as the other commands spell it) or table.")
    var format: AuditFormat = .json

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        let report = try store.audit(filters.query())
        if format != .table {
            try Output.standard.line(report.json.canonicalBytes)
        } else {
            for line in AuditTable(report: report).lines { try Output.standard.line(line) }
        }
        if let problem = report.verification.firstProblem {
            try Output.standard.flush()
            throw CLIFailure(.damaged, problem.damageMessage(includingDetail: false))
        }
    }
}

/// `--format table|json|jsonl`: `jsonl` is `json` (the report is one line), so that a script passing the other
/// commands' `--format jsonl` gets the report too.
enum AuditFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
    case jsonl
}

/// The human-readable audit report.
struct AuditTable {
    let report: AuditReport

    var lines: [String] {
        let v = report.verification
        var out = [
            "AUDIT REPORT",
            "covers the log prefix   "
                + (report.anchor?.anchor
                    ?? "unknown: the head does not check out, and damage leaves the hash at \(report.query.to) unknown"),
            "offset range            \(v.from)…\(v.to)",
            "chain verification      "
                + (v.isIntact ? "intact (\(v.recordsChecked) records)" : "DAMAGED: \(v.problems.count) problem(s)"),
            "events matched          \(report.events)",
            "",
            "ACTOR                     EVENTS    FIRST                     LAST",
        ]
        for a in report.actors {
            out.append(
                TextTable.fixedCell(a.actor ?? "-", width: 26) + TextTable.wholeCell(String(a.events), width: 10)
                    + TextTable.fixedCell(ISO8601.string(milliseconds: a.firstTimestamp), width: 26)
                    + ISO8601.string(milliseconds: a.lastTimestamp))
            for (type, count) in a.types.sorted(by: { $0.key < $1.key }) {
                out.append("    " + TextTable.fixedCell(type, width: 32) + String(count))
            }
        }
        out += ["", "TYPE                                EVENTS"]
        for (type, count) in report.types.sorted(by: { $0.key < $1.key }) {
            out.append(TextTable.fixedCell(type, width: 36) + String(count))
        }
        out += ["", "FAILED ACTIONS (\(report.failures.count))"]
        for f in report.failures {
            out.append(
                TextTable.wholeCell("#\(f.offset)", width: 10)
                    + TextTable.fixedCell(ISO8601.string(milliseconds: f.timestamp), width: 26)
                    + TextTable.fixedCell(f.type, width: 26)
                    + TextTable.fixedCell(f.actorId ?? "-", width: 14) + TextTable.printable(f.error))
        }
        if !v.isIntact {
            out += ["", "PROBLEMS"]
            for p in v.problems { out.append("offset \(p.offset): \(p.kind.rawValue): \(p.detail)") }
        }
        return out
    }

}
