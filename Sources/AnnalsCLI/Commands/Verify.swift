import Annals
import ArgumentParser

/// `annals verify`: checks the log's records and hash chain.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every record (CRC-32C, decompression, envelope) and the hash chain.",
        discussion: """
            Prints one JSON line per problem, then a summary line. Exit code 0 when intact, 1 when damage was found \
            (the first bad offset is named on stderr), 5 when the store cannot be opened at all (a damaged meta page or \
            meta database, a truncated file: the page is named). \
            With --anchor HASH@OFFSET (from an earlier 'annals head'), a truncated tail is detected too. With \
            --indexes, the indexes, the ids of client ids and the stream versions are checked against the whole log \
            too (problems of kind "index").
            Example: annals verify --anchor 3f9a…@1200 --indexes
            """)

    @OptionGroup var location: StoreLocation

    @Option(help: "The first offset to check.")
    var from: WholeNumber<UInt64> = 1

    @Option(help: "The last offset to check (default: the head).")
    var to: WholeNumber<UInt64>?

    @Option(help: ArgumentHelp("A head printed earlier by 'annals head'.", valueName: "hash@offset"))
    var anchor: String?

    @Flag(help: "Also check the indexes, ids and stream versions against the whole log.")
    var indexes = false

    func validate() throws {
        if from.value == 0 { throw ValidationError("--from must be at least 1") }
        if let to, to.value < from.value {
            throw ValidationError("--to (\(to.value)) is before --from (\(from.value))")
        }
        if indexes && (from.value != 1 || to != nil) {
            throw ValidationError("--indexes checks the whole log: give no --from or --to with it")
        }
        if let anchor, case .failure(let problem) = VerificationAnchor.parse(anchor) {
            throw ValidationError("--anchor must be HASH@OFFSET as 'annals head' prints it: \(problem.message)")
        }
    }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        let report = try store.verify(from: from.value, to: to?.value, anchor: anchor.flatMap(VerificationAnchor.init))
        // The indexes are compared with the log's events: only once the log itself is intact.
        let indexProblems = indexes && report.isIntact ? try store.verifyIndexes() : []
        let problems = report.problems + indexProblems
        for problem in problems {
            try Output.standard.line(
                "{\"offset\":\(problem.offset),\"kind\":\"\(problem.kind.rawValue)\","
                    + "\"detail\":\(JSONValue.string(problem.detail).canonicalString)}")
        }
        var summary =
            "{\"intact\":\(problems.isEmpty),\"from\":\(report.from),\"to\":\(report.to),"
            + "\"records\":\(report.recordsChecked)"
        if let hash = report.lastHash { summary += ",\"lastHash\":\"\(hash.hex)\"" }
        if let matched = report.anchorMatched { summary += ",\"anchorMatched\":\(matched)" }
        if indexes { summary += ",\"indexesChecked\":\(report.isIntact)" }
        if let first = VerificationReport.firstBadOffset(of: problems) { summary += ",\"firstBadOffset\":\(first)" }
        try Output.standard.line(summary + "}")
        if let problem = VerificationReport.firstProblem(of: problems) {
            try Output.standard.flush()
            throw CLIFailure(.damaged, problem.damageMessage(includingDetail: true))
        }
    }
}
