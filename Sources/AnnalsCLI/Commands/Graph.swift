import Annals
import ArgumentParser

/// `--direction outgoing|incoming|both`.
extension TraversalDirection: ExpressibleByArgument {}

/// `annals graph ID`: the things within some hops of a thing, and the connections between them.
struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the neighbourhood of a thing: the things within --depth hops and the connections walked.",
        discussion: """
            Prints one JSON object {"things":[{…,"depth":n}],"connections":[…]}; things are ordered by depth, then \
            id (the thing itself is at depth 0), connections by id. With --format table, a table of things with \
            their depth, then one of connections.
            Examples: annals graph thing-1; annals graph thing-1 --depth 2 --direction outgoing \
            --type depends_on. Exit code 4 when the thing does not exist.
            """)

    @OptionGroup var location: StoreLocation

    @Argument(help: "The id of the thing to start from.")
    var id: String

    @Option(help: "How many hops to walk, 0…16 (0 prints the thing alone).")
    var depth: WholeNumber<Int> = 1

    @Option(help: "Which connections to follow: outgoing, incoming or both.")
    var direction: TraversalDirection = .both

    @Option(
        name: .customLong("type"),
        help: ArgumentHelp("Only follow connections of this type (repeatable; default all).", valueName: "type"))
    var types: [String] = []

    @Option(help: "jsonl (default: one JSON object) or table.")
    var format: OutputFormat = .jsonl

    func validate() throws {
        guard (0...16).contains(depth.value) else {
            throw ValidationError("--depth must be in 0…16, got \(depth.value)")
        }
        try OntologyArguments.checkIdentifiers([id], flags: ["ID"])
        try OntologyArguments.checkNames(types, flags: types.map { _ in "--type" })
    }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        try store.checkViewPages(of: ["things", "connections"])
        let neighbourhood = try store.neighbourhood(of: id, depth: depth.value, direction: direction, types: Set(types))
        guard !neighbourhood.things.isEmpty else { throw CLIFailure(.notFound, "no thing with id '\(id)'") }
        guard format == .table else {
            try Output.standard.line(neighbourhood.json.canonicalBytes)
            return
        }
        var things = TextTable(["DEPTH", "ID", "TYPE", "GROUP", "NAME", "STATUS"])
        for (thing, depth) in neighbourhood.things {
            things.add([
                String(depth), thing.id, thing.thingType, thing.groupId ?? "-", thing.name ?? "-", thing.status,
            ])
        }
        try things.print()
        try Output.standard.line("")
        try ConnectionTable.table(neighbourhood.connections).print()
    }
}
