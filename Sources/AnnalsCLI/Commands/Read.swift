import Annals
import ArgumentParser

/// `annals read`: filtered reads of the log.
struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print events as JSON lines (or a table), filtered by offset, type, actor, target, group and time.",
        discussion: """
            Filters combine with AND. Times are ms since 1970 or ISO 8601 (2026-11-25T10:00:00Z).
            Examples: annals read --target thing-1; annals read --type plugin_action_failed --since 2026-11-25 \
            --format table; annals read --reverse --limit 10
            """)

    @OptionGroup var location: StoreLocation

    @OptionGroup var filters: EventFilterOptions

    @Option(help: "Print at most this many events.")
    var limit: WholeNumber<Int>?

    @Flag(help: "Newest first.")
    var reverse = false

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        var query = filters.query()
        query.limit = limit?.value
        query.reverse = reverse
        // A damaged page would crash LMDB: check the pages the read follows first (by offset, those of its range; a
        // filtered read, its posting lists and the records they name).
        try store.checkLogPages(for: query)
        var reader = store.events(query).makeReader()
        var table: EventTable?
        if format == .table {
            // The OFFSET column fits the last offset (read from its key alone, after a check of the pages on the way
            // to it: a damaged head record is for the read to report, at its row); only an event a writer commits
            // meanwhile may be longer.
            try store.checkLogPages(offsets: [])
            let layout = EventTable(largestOffset: try store.lastOffset())
            try Output.standard.line(layout.header)
            table = layout
        }
        while let event = try reader.next() {
            if let table {
                try Output.standard.line(table.row(event))
            } else {
                try Output.standard.line { event.appendJSON(to: &$0) }
            }
        }
    }
}

/// The `--format table` layout of events. Offsets and versions are never cut: a number cut short would read as
/// another valid one.
struct EventTable {
    /// The OFFSET column's width: the largest offset's digits and a space, and at least the header's 8.
    let offsetWidth: Int

    /// A table whose OFFSET column fits offsets up to `largestOffset` (the last one when the read starts).
    init(largestOffset: UInt64) {
        offsetWidth = max(8, String(largestOffset).utf8.count + 1)
    }

    /// The column titles, aligned as ``row(_:)`` aligns its cells.
    var header: String {
        TextTable.fixedCell("OFFSET", width: offsetWidth) + TextTable.fixedCell("TIME", width: 25)
            + TextTable.fixedCell("TYPE", width: 26) + TextTable.fixedCell("ACTOR", width: 14)
            + TextTable.fixedCell("TARGET", width: 18)
            + TextTable.fixedCell("GROUP", width: 12) + "VERSION"
    }

    /// One event's row. VERSION is the last column, printed whole.
    func row(_ event: RecordedEvent) -> String {
        TextTable.wholeCell(String(event.offset), width: offsetWidth)
            + TextTable.fixedCell(ISO8601.string(milliseconds: event.timestamp), width: 25)
            + TextTable.fixedCell(event.type, width: 26) + TextTable.fixedCell(event.actorId ?? "-", width: 14)
            + TextTable.fixedCell(event.targetId ?? "-", width: 18)
            + TextTable.fixedCell(event.groupId ?? "-", width: 12) + String(event.version)
    }

}
