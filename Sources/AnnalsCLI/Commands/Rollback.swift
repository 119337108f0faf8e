import Annals
import AnnalsPlatform
import ArgumentParser

/// `annals rollback --to`: appends compensating events that return part of the ontology to an earlier state.
struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Return the ontology (or one thing, or one group) to its state at an earlier offset.",
        discussion: """
            Computes the difference between now and the state at --to within the scope and appends the events \
            that undo it (thing.restored, connection.deleted, …) as one atomic batch; the log is never rewritten. \
            Each event's metadata records {"rollback":{"toOffset","scope"}} and the actor is --actor. \
            Prints one JSON line per change ({"entity","id","action","current","target"}), then \
            {"rolledBack","toOffset","firstOffset","lastOffset"}. --dry-run prints the changes only and appends \
            nothing. Events appended meanwhile that may change the scope make it plan again (3 attempts). Exit code 2 \
            for an offset past the head or inside an earlier rollback's batch or a plugin operation's (the message \
            names the batch and the offsets before and after it), 3 when the scope kept changing concurrently \
            (nothing was appended: run it again), 8 when a projection rejected the events or the planner refused a restore that would take over \
            an entity outside the scope. A restore larger than --max-event-size (1 MiB by default) \
            exits 2, naming its size: give a larger --max-event-size.
            Examples: annals rollback --to 1200 --thing plugin-42 --dry-run; annals rollback --to 900 --group org-a
            """)

    @OptionGroup var location: StoreLocation

    @Option(help: ArgumentHelp("The offset whose state to return to (0 is the empty state).", valueName: "offset"))
    var to: WholeNumber<UInt64>

    @OptionGroup var scope: ScopeOptions

    @Flag(help: "Print the changes without appending anything.")
    var dryRun = false

    @Option(help: "The actorId of the compensating events.")
    var actor = "annals-cli"

    /// A restore carries an entity's whole state, which many small updates may have grown past the default limit.
    @OptionGroup var eventSize: MaximumEventSizeOption

    func validate() throws {
        try scope.check()
        try eventSize.check()
        try ActorOption.check(actor)
    }

    func run() throws {
        let store =
            try dryRun
            ? location.openForReading(maximumEventSize: eventSize.maxEventSize.value)
            : location.openForWriting(StoreOptions(maximumEventSize: eventSize.maxEventSize.value))
        defer { store.close() }
        // The plan checks what it reads (planRollback(checkingPages:)); the head it is compared with first.
        try store.checkLogPages(offsets: [])
        let head = try store.head().offset
        guard to.value <= head else {
            throw CLIFailure(.invalidInput, "--to \(to.value) is past the log head \(head)")
        }
        // The core knows the batches of its own rollbacks (refused by the plan); a plugin operation's are the
        // platform's.
        if let batch = try store.pluginOperationBatch(containing: to.value) {
            let hint = "; 'annals plugin rollback' undoes plugin operations"
            throw CLIFailure(.invalidInput, batch.refusal(asTarget: to.value) + hint)
        }
        if dryRun {
            let plan = try store.planRollback(
                to: to.value, scope: scope.ontologyScope, actorId: actor, checkingPages: true)
            for change in plan.changes { try Output.standard.line(change.json.canonicalBytes) }
            return
        }
        let (plan, receipts) = try rollback(store)
        for change in plan.changes { try Output.standard.line(change.json.canonicalBytes) }
        let summary: [String: JSONValue] = [
            "rolledBack": .integer(receipts.count), "toOffset": .integer(to.value),
            "firstOffset": receipts.first.map { .integer($0.offset) } ?? .null,
            "lastOffset": receipts.last.map { .integer($0.offset) } ?? .null,
        ]
        try Output.standard.line(JSONValue.object(summary).canonicalBytes)
    }

    /// Plans the rollback and appends its events as one atomic batch (`EventStore.rollbackAndWait`, which plans
    /// again when the scope changed meanwhile).
    private func rollback(_ store: EventStore) throws -> (plan: RollbackPlan, receipts: [AppendReceipt]) {
        do {
            return try store.rollbackAndWait(
                to: to.value, scope: scope.ontologyScope, actorId: actor, checkingPages: true)
        } catch {
            switch error {
            case .versionConflict(let index, let target, let expected, let actual):
                throw CLIFailure(
                    .versionConflict,
                    "'\(target)' changed while the rollback was planned (event \(index) expected version \(expected), "
                        + "found \(actual)); nothing was appended: run the rollback again")
            case .conflictingAppend(let offset, let plannedAt):
                throw CLIFailure(
                    .versionConflict,
                    "the scope kept changing while the rollback was planned (\(EventStore.rollbackAttempts) plans; the "
                        + "last, at offset \(plannedAt), was overtaken by the event at offset \(offset)); nothing was "
                        + "appended: run the rollback again")
            default:
                throw error
            }
        }
    }
}
