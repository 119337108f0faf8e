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

    @Option(help: "The first offset to print.")
    var from: UInt64 = 1

    @Option(help: "The last offset to print.")
    var to: UInt64?

    @Option(name: .customLong("type"), help: ArgumentHelp("Only this event type (repeatable).", valueName: "type"))
    var types: [String] = []

    @Option(help: "Only events by this actor.")
    var actor: String?

    @Option(help: "Only events on this target stream.")
    var target: String?

    @Option(help: "Only events of this group.")
    var group: String?

    @Option(help: ArgumentHelp("Only events at or after this time.", valueName: "time"))
    var since: TimeArgument?

    @Option(help: ArgumentHelp("Only events before this time.", valueName: "time"))
    var until: TimeArgument?

    @Option(help: "Print at most this many events.")
    var limit: Int?

    @Flag(help: "Newest first.")
    var reverse = false

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    func validate() throws {
        if from == 0 { throw ValidationError("--from must be at least 1 (offsets start at 1)") }
        if let to, to < from { throw ValidationError("--to (\(to)) is before --from (\(from))") }
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
    }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        let query = EventQuery(
            from: from, to: to ?? .max, types: types, actorId: actor, targetId: target, groupId: group,
            since: since?.milliseconds, until: until?.milliseconds, limit: limit, reverse: reverse)
        var reader = store.events(query).makeReader()
        let table = format == .table ? EventTable() : nil
        if let table { try Output.standard.line(table.header) }
        while let event = try reader.next() {
            if let table {
                try Output.standard.line(table.row(event))
            } else {
                try Output.standard.line { event.appendJSON(to: &$0) }
            }
        }
    }
}

/// The `--format table` layout of events.
struct EventTable {
    var header: String {
        pad("OFFSET", 8) + pad("TIME", 25) + pad("TYPE", 26) + pad("ACTOR", 14) + pad("TARGET", 18)
            + pad("GROUP", 12) + "VERSION"
    }

    func row(_ event: RecordedEvent) -> String {
        pad(String(event.offset), 8) + pad(ISO8601.string(milliseconds: event.timestamp), 25) + pad(event.type, 26)
            + pad(event.actorId ?? "-", 14) + pad(event.targetId ?? "-", 18) + pad(event.groupId ?? "-", 12)
            + String(event.version)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width
            ? String(text.prefix(width - 1)) + " " : text + String(repeating: " ", count: width - text.count)
    }
}
