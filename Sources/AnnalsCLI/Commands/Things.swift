import Annals
import ArgumentParser

/// `annals things`: the things of the ontology, from the live things view.
struct Things: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Print things (the ontology's entities) as JSON lines or a table, filtered by type, group and status.",
        discussion: """
            Filters combine with AND. Things come in id order; with --group, by type, then id.
            Examples: annals things --type plugin --group org-acme; annals things --id thing-1; \
            annals things --status archived --format table. Exit code 4 when --id names no thing.
            """)

    @OptionGroup var location: StoreLocation

    @Option(help: ArgumentHelp("Print only the thing with this id (exit 4 when there is none).", valueName: "id"))
    var id: String?

    @Option(name: .customLong("type"), help: ArgumentHelp("Only things of this type (thingType).", valueName: "type"))
    var thingType: String?

    @Option(help: "Only things of this group.")
    var group: String?

    @Option(help: "Only things with this status (such as active).")
    var status: String?

    @Option(help: "Print at most this many things (at least 1).")
    var limit: Int = 1000

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    func validate() throws {
        try OntologyArguments.checkLimit(limit)
        if id != nil, thingType != nil || group != nil || status != nil {
            throw ValidationError("--id cannot be combined with --type, --group or --status")
        }
    }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        let things: [Thing]
        if let id {
            guard let thing = try store.thing(id) else { throw CLIFailure(.notFound, "no thing with id '\(id)'") }
            things = [thing]
        } else {
            things = try store.things(ThingFilter(thingType: thingType, groupId: group, status: status, limit: limit))
        }
        if format == .table {
            var table = TextTable(["ID", "TYPE", "GROUP", "NAME", "STATUS", "UPDATED"])
            for thing in things {
                table.add([
                    thing.id, thing.thingType, thing.groupId ?? "-", thing.name ?? "-", thing.status,
                    String(thing.stamp.updatedOffset),
                ])
            }
            try table.print()
        } else {
            for thing in things { try Output.standard.line(thing.json.canonicalBytes) }
        }
    }
}

/// Checks shared by the ontology query commands.
enum OntologyArguments {
    /// Rejects a `--limit` below 1, or above `maximum` when given.
    static func checkLimit(_ limit: Int, maximum: Int? = nil) throws {
        if let maximum, !(1...maximum).contains(limit) {
            throw ValidationError("--limit must be in 1…\(maximum), got \(limit)")
        }
        if limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }
}

/// The `--format table` layout of the ontology commands: a header and rows whose columns are as wide as their widest
/// cell (cut at ``maximumWidth`` with `…`), two spaces apart; the last column is not padded.
struct TextTable {
    /// The column titles.
    let headers: [String]
    /// The rows added so far, one cell per column.
    private(set) var rows: [[String]] = []
    /// The widest a column may be, in characters.
    var maximumWidth = 40

    /// A table with these column titles.
    init(_ headers: [String]) {
        self.headers = headers
    }

    /// Adds a row; control characters (such as newlines) in a cell print as spaces.
    mutating func add(_ cells: [String]) {
        rows.append(cells.map { String($0.map { $0.isNewline || $0 == "\t" ? " " : $0 }) })
    }

    /// The header and the rows, aligned.
    var lines: [String] {
        let all = [headers] + rows.map { $0.map { Self.cut($0, maximumWidth) } }
        var widths = headers.map { _ in 0 }
        for row in all {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        return all.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                let isLast = column == row.count - 1
                line += isLast ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }
            return line
        }
    }

    /// Prints ``lines`` to standard output.
    func print() throws {
        for line in lines { try Output.standard.line(line) }
    }

    /// `text` cut to `width` characters, the last one `…` when it was longer.
    static func cut(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }
}
