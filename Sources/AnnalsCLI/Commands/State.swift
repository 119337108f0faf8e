import Annals
import AnnalsPlatform
import ArgumentParser

/// `annals state --at`: the ontology as it was at an earlier offset or time.
struct State: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the things, connections and knowledge as they were at an offset or a time.",
        discussion: """
            Loads the newest intact snapshot at or before the offset and replays the log on top of it. \
            --at takes an offset (a plain integer: 0 is the empty state) or an ISO 8601 time (the state as of the \
            highest offset whose event is stamped at or before it: a log prefix, which may hold events stamped later \
            when clients supplied timestamps out of order). Prints one JSON object:
            {"offset","snapshotOffset","replayedEvents","things":[…],"connections":[…],"knowledge":[…]}. \
            --thing ID narrows it to the thing, the connections from and to it and its knowledge; --group G to \
            the entities of that group. Damaged snapshots are skipped with a warning on stderr; an offset inside a \
            rollback's atomic batch of compensating events, or of one plugin operation's events (a state no reader \
            ever saw), is printed with a warning. \
            Exit code 2 for an offset past the log head.
            Examples: annals state --at 1200 --thing plugin-42; annals state --at 2026-01-01T00:00:00Z
            """)

    @OptionGroup var location: StoreLocation

    @Option(help: ArgumentHelp("An offset (integer) or an ISO 8601 time.", valueName: "offset|time"))
    var at: PointInLog

    @OptionGroup var scope: ScopeOptions

    func validate() throws { try scope.check() }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        let state: HistoricalState
        // The pages it follows are checked first: the head's, the snapshots', the log's after the snapshot used.
        try store.checkLogPages(offsets: [])
        switch at {
        case .offset(let offset):
            let head = try store.head().offset
            guard offset <= head else {
                throw CLIFailure(.invalidInput, "--at \(offset) is past the log head \(head)")
            }
            state = try store.state(at: offset, scope: scope.ontologyScope, checkingPages: true)
        case .time(let milliseconds):
            state = try store.state(
                at: try store.offset(atTime: milliseconds, checkingPages: true), scope: scope.ontologyScope,
                checkingPages: true)
        }
        for skipped in state.skippedSnapshots { CLIFailure.printError("warning: skipped \(skipped.description)") }
        if let batch = try store.rollbackBatch(containing: state.offset) {
            CLIFailure.printError(
                "warning: offset \(state.offset) is inside the batch of compensating events at offsets "
                    + "\(batch.lowerBound)–\(batch.upperBound) that a rollback appended atomically: no reader ever saw "
                    + "this half-applied state; --at \(batch.lowerBound - 1) is the state before that rollback, --at "
                    + "\(batch.upperBound) the state after it")
        } else if let batch = try store.pluginOperationBatch(containing: state.offset) {
            CLIFailure.printError(
                "warning: offset \(state.offset) is inside the batch of '\(batch.request)' at offsets "
                    + "\(batch.offsets.lowerBound)–\(batch.offsets.upperBound) that one plugin operation appended "
                    + "atomically: no reader ever saw this half-applied state; --at \(batch.offsets.lowerBound - 1) is "
                    + "the state before it, --at \(batch.offsets.upperBound) the state after it")
        }
        let view = state.view
        let entities = try scope.entities(in: view)
        let members: [String: JSONValue] = [
            "offset": .integer(state.offset),
            "snapshotOffset": state.snapshotOffset.map { .integer($0) } ?? .null,
            "replayedEvents": .integer(state.replayedEvents),
            "things": .array(entities.things.map(\.json)),
            "connections": .array(entities.connections.map(\.json)),
            "knowledge": .array(entities.knowledge.map(\.json)),
        ]
        try Output.standard.line(JSONValue.object(members).canonicalBytes)
    }
}

/// `--at`: a log offset (a plain integer) or an ISO 8601 time, an inclusive bound ("at or before"), so a time finer
/// than a millisecond becomes the millisecond at or before it.
enum PointInLog: ExpressibleByArgument {
    case offset(UInt64)
    case time(Int64)

    init?(argument: String) {
        if let offset = WholeNumber<UInt64>.parse(argument) {
            self = .offset(offset)
        } else if let milliseconds = ISO8601.milliseconds(argument, rounding: .down) {
            self = .time(milliseconds)
        } else {
            return nil
        }
    }
}

/// `--thing ID | --group G`, shared by `state` and `rollback`.
struct ScopeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only this thing, the connections from and to it and its knowledge.", valueName: "id"))
    var thing: String?

    @Option(help: ArgumentHelp("Only the things, connections and knowledge of this group.", valueName: "group"))
    var group: String?

    /// Rejects `--thing` with `--group` (exit code 64).
    func check() throws {
        if thing != nil && group != nil { throw ValidationError("--thing and --group cannot be combined") }
        try OntologyArguments.checkIdentifiers([thing, group], flags: ["--thing", "--group"])
    }

    /// The engine's scope.
    var ontologyScope: OntologyScope {
        if let thing { return .thing(thing) }
        if let group { return .group(group) }
        return .all
    }

    /// The entities of `view` within the scope, each list sorted by id.
    func entities(
        in view: OntologyView
    ) throws -> (things: [Thing], connections: [Connection], knowledge: [KnowledgeItem]) {
        if let thing {
            var connections: [String: Connection] = [:]
            for c in try view.connections(ConnectionFilter(fromId: thing, limit: .max)) { connections[c.id] = c }
            for c in try view.connections(ConnectionFilter(toId: thing, limit: .max)) { connections[c.id] = c }
            return (
                try view.thing(thing).map { [$0] } ?? [],
                connections.values.sorted { $0.id < $1.id },
                try view.knowledge(KnowledgeFilter(thingId: thing, limit: .max)).sorted { $0.id < $1.id }
            )
        }
        return (
            try view.things(ThingFilter(groupId: group, limit: .max)).sorted { $0.id < $1.id },
            try view.connections(ConnectionFilter(groupId: group, limit: .max)).sorted { $0.id < $1.id },
            try view.knowledge(KnowledgeFilter(groupId: group, limit: .max)).sorted { $0.id < $1.id }
        )
    }
}
