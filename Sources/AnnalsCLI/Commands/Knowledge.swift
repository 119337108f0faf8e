import Annals
import ArgumentParser

/// `annals knowledge`: text about things, from the live knowledge view.
struct Knowledge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print knowledge items (text about things) as JSON lines or a table, filtered by thing, labels and "
            + "group.",
        discussion: """
            Filters combine with AND; repeated --label options all have to be on an item. Examples: \
            annals knowledge --thing thing-1; annals knowledge --label manual --label setup --format table; \
            annals knowledge --id k-1. Exit code 4 when --id names no item. To rank items by meaning, use \
            annals search.
            """)

    @OptionGroup var location: StoreLocation

    @Option(help: ArgumentHelp("Print only the item with this id (exit 4 when there is none).", valueName: "id"))
    var id: String?

    @Option(help: ArgumentHelp("Only items about this thing.", valueName: "thing-id"))
    var thing: String?

    @Option(
        name: .customLong("label"),
        help: ArgumentHelp("Only items with this label (repeatable: items with every one).", valueName: "label"))
    var labels: [String] = []

    @Option(help: "Only items of this group.")
    var group: String?

    @Option(help: "Print at most this many items (at least 1).")
    var limit: WholeNumber<Int> = 1000

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    func validate() throws {
        try OntologyArguments.checkLimit(limit.value)
        try OntologyArguments.checkIdentifiers([id, thing, group], flags: ["--id", "--thing", "--group"])
        try OntologyArguments.checkNames(labels, flags: labels.map { _ in "--label" })
        if id != nil, thing != nil || !labels.isEmpty || group != nil {
            throw ValidationError("--id cannot be combined with --thing, --label or --group")
        }
    }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        // The tables knowledge queries read (search also reads the term index and the vectors).
        try id.map { try store.checkViewPages(of: "knowledge", id: $0) }
            ?? store.checkViewPages(of: ["knowledge"], tables: KnowledgeProjection().snapshotTableNames)
        let items: [KnowledgeItem]
        if let id {
            guard let item = try store.read({ try $0.knowledgeItem(id) }) else {
                throw CLIFailure(.notFound, "no knowledge item with id '\(id)'")
            }
            items = [item]
        } else {
            items = try store.knowledge(
                KnowledgeFilter(thingId: thing, labels: labels, groupId: group, limit: limit.value))
        }
        guard format == .table else {
            for item in items { try Output.standard.line(item.json.canonicalBytes) }
            return
        }
        var table = TextTable(["ID", "THING", "GROUP", "LABELS", "UPDATED", "TEXT"])
        table.columnMaximumWidths = ["TEXT": 60]
        for item in items {
            table.add([
                item.id, item.thingId, item.groupId ?? "-",
                item.labels.isEmpty ? "-" : item.labels.joined(separator: ","),
                String(item.stamp.updatedOffset), item.text,
            ])
        }
        try table.print()
    }
}
