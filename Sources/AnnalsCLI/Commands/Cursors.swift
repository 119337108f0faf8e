import Annals
import ArgumentParser

/// `annals cursors`: the durable subscriber cursors.
struct Cursors: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, reset and delete subscriber cursors.",
        subcommands: [List.self, Show.self, Reset.self, Delete.self])

    /// Checks a cursor name argument (exit code 64 when invalid, as for `tail --cursor`).
    static func validate(name: String) throws {
        do { try SubscriberCursor.validate(name: name) } catch { throw ValidationError(error.description) }
    }

    /// One cursor as a JSON line.
    static func json(_ cursor: SubscriberCursor) -> String {
        "{\"name\":\(JSONValue.string(cursor.name).canonicalString),\"offset\":\(cursor.offset),\"lag\":\(cursor.lag),"
            + "\"acknowledgedAt\":\(time(cursor.acknowledgedAt)),\"createdAt\":\(time(cursor.createdAt)),"
            + "\"resets\":\(cursor.resets)}"
    }

    private static func time(_ ms: Int64) -> String {
        ms == 0 ? "null" : "\"\(ISO8601.string(milliseconds: ms))\""
    }

    /// `annals cursors list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every cursor with its offset, lag and last ack time.")

        @OptionGroup var location: StoreLocation

        @Option(help: "jsonl (default) or table.")
        var format: OutputFormat = .jsonl

        func run() throws {
            let store = try location.openForReading()
            defer { store.close() }
            try store.checkCursorPages()
            let cursors = try store.cursors()
            if format == .table {
                // Names are whole (up to 128 characters) and columns two spaces apart, however long the names.
                var table = TextTable(["NAME", "OFFSET", "LAG", "LAST ACK"])
                table.maximumWidth = SubscriberCursor.maximumNameLength
                for c in cursors {
                    table.add([
                        c.name, String(c.offset), String(c.lag),
                        c.acknowledgedAt == 0 ? "-" : ISO8601.string(milliseconds: c.acknowledgedAt),
                    ])
                }
                try table.print()
            } else {
                for c in cursors { try Output.standard.line(Cursors.json(c)) }
            }
        }
    }

    /// `annals cursors show NAME`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One cursor; exit code 4 if it does not exist.")

        @OptionGroup var location: StoreLocation

        @Argument(help: "The cursor name.")
        var name: String

        func validate() throws { try Cursors.validate(name: name) }

        func run() throws {
            let store = try location.openForReading()
            defer { store.close() }
            try store.checkCursorPages()
            guard let cursor = try store.cursor(named: name) else {
                throw CLIFailure(.notFound, "no cursor named '\(name)'")
            }
            try Output.standard.line(Cursors.json(cursor))
        }
    }

    /// `annals cursors reset NAME --to …`.
    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a cursor (back or forward), creating it if needed.",
            discussion: """
                --to start replays everything; --to end skips to the durable head (as tail --from end); --to N resumes \
                after offset N.
                """)

        @OptionGroup var location: StoreLocation

        @Argument(help: "The cursor name.")
        var name: String

        @Option(help: ArgumentHelp("start, end, or an offset.", valueName: "start|end|offset"))
        var to: String

        func validate() throws {
            try Cursors.validate(name: name)
            guard to == "start" || to == "end" || WholeNumber<UInt64>.parse(to) != nil else {
                throw ValidationError("--to must be start, end or an offset, got '\(to)'")
            }
        }

        func run() throws {
            let store = try location.openWithoutViews()  // which checks the cursors' pages and the head's
            defer { store.close() }
            let start: SubscriptionStart
            switch to {
            case "start": start = .beginning
            // The durable offset, as `tail --from end` and subscriptions take the end: not the last committed one.
            case "end": start = .end
            default:
                let offset = WholeNumber<UInt64>.parse(to)!
                let head = try store.head().offset
                guard offset <= head else {
                    throw CLIFailure(.invalidInput, "--to \(offset) is beyond the last offset \(head)")
                }
                start = .after(offset)
            }
            // The cursor as the reset stored it: read afterwards, another process could already have deleted it.
            try Output.standard.line(Cursors.json(try store.resetCursor(name, to: start)))
        }
    }

    /// `annals cursors delete NAME`.
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a cursor; exit code 4 if it does not exist.")

        @OptionGroup var location: StoreLocation

        @Argument(help: "The cursor name.")
        var name: String

        func validate() throws { try Cursors.validate(name: name) }

        func run() throws {
            let store = try location.openWithoutViews()  // which checks the cursors' pages and the head's
            defer { store.close() }
            guard try store.deleteCursor(name) else { throw CLIFailure(.notFound, "no cursor named '\(name)'") }
            try Output.standard.line("{\"deleted\":\(JSONValue.string(name).canonicalString)}")
        }
    }
}
