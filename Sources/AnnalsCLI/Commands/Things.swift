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
    var limit: WholeNumber<Int> = 1000

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    func validate() throws {
        try OntologyArguments.checkLimit(limit.value)
        try OntologyArguments.checkIdentifiers([id, group], flags: ["--id", "--group"])
        try OntologyArguments.checkNames([thingType, status], flags: ["--type", "--status"])
        if id != nil, thingType != nil || group != nil || status != nil {
            throw ValidationError("--id cannot be combined with --type, --group or --status")
        }
    }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        try id.map { try store.checkViewPages(of: "things", id: $0) } ?? store.checkViewPages(of: ["things"])
        let things: [Thing]
        if let id {
            guard let thing = try store.thing(id) else { throw CLIFailure(.notFound, "no thing with id '\(id)'") }
            things = [thing]
        } else {
            things = try store.things(
                ThingFilter(thingType: thingType, groupId: group, status: status, limit: limit.value))
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
