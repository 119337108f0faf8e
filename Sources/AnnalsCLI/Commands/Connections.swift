import Annals
import ArgumentParser

/// `annals connections`: the typed edges between things, from the live connections view.
struct Connections: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print connections (typed edges between things) as JSON lines or a table, filtered by endpoint, type "
            + "and group.",
        discussion: """
            Filters combine with AND. Examples: annals connections --from thing-1; \
            annals connections --to thing-2 --type depends_on --format table; annals connections --id conn-7. \
            Exit code 4 when --id names no connection.
            """)

    @OptionGroup var location: StoreLocation

    @Option(help: ArgumentHelp("Print only the connection with this id (exit 4 when there is none).", valueName: "id"))
    var id: String?

    @Option(help: ArgumentHelp("Only connections starting at this thing.", valueName: "thing-id"))
    var from: String?

    @Option(help: ArgumentHelp("Only connections pointing to this thing.", valueName: "thing-id"))
    var to: String?

    @Option(
        name: .customLong("type"),
        help: ArgumentHelp("Only connections of this type (connectionType).", valueName: "type"))
    var connectionType: String?

    @Option(help: "Only connections of this group.")
    var group: String?

    @Option(help: "Print at most this many connections (at least 1).")
    var limit: WholeNumber<Int> = 1000

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    func validate() throws {
        try OntologyArguments.checkLimit(limit.value)
        try OntologyArguments.checkIdentifiers([id, from, to, group], flags: ["--id", "--from", "--to", "--group"])
        try OntologyArguments.checkNames([connectionType], flags: ["--type"])
        if id != nil, from != nil || to != nil || connectionType != nil || group != nil {
            throw ValidationError("--id cannot be combined with --from, --to, --type or --group")
        }
    }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        try id.map { try store.checkViewPages(of: "connections", id: $0) }
            ?? store.checkViewPages(of: ["connections"])
        let connections: [Connection]
        if let id {
            guard let connection = try store.read({ try $0.connection(id) }) else {
                throw CLIFailure(.notFound, "no connection with id '\(id)'")
            }
            connections = [connection]
        } else {
            connections = try store.connections(
                ConnectionFilter(
                    fromId: from, toId: to, connectionType: connectionType, groupId: group, limit: limit.value))
        }
        if format == .table {
            try ConnectionTable.table(connections).print()
        } else {
            for connection in connections { try Output.standard.line(connection.json.canonicalBytes) }
        }
    }
}

/// The `--format table` layout of connections, shared by `connections` and `graph`.
enum ConnectionTable {
    /// A table with one row per connection: id, from, to, type, group, and the offset of its last change.
    static func table(_ connections: [Connection]) -> TextTable {
        var table = TextTable(["ID", "FROM", "TO", "TYPE", "GROUP", "UPDATED"])
        for c in connections {
            table.add([c.id, c.fromId, c.toId, c.connectionType, c.groupId ?? "-", String(c.stamp.updatedOffset)])
        }
        return table
    }
}
