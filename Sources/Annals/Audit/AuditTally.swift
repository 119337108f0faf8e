/// What an audit counts of the events that pass its filters: per type, per actor, and the failed actions, gathered
/// on every core (``EventTally``).
struct AuditTally: EventTally {
    static var takesEvents: Bool { true }

    /// The filters an event must pass to be counted.
    let query: EventQuery
    var total: UInt64 = 0
    var types: [String: UInt64] = [:]
    /// Keyed by the actor id as the event has it: `nil` (no actor) is not the id `-`.
    var actors: [String?: AuditReport.ActorSummary] = [:]
    /// In offset order within each worker's tally; ``failuresInOrder`` sorts the combined ones.
    var failures: [AuditReport.FailedAction] = []

    init(query: EventQuery) {
        self.query = query
    }

    mutating func add(_ event: RecordedEvent) {
        guard query.matches(event) else { return }
        total += 1
        types[event.type, default: 0] += 1
        // Mutated in place through the default subscript: no copy of the summary's dictionary per event.
        actors[
            event.actorId,
            default: AuditReport.ActorSummary(
                actor: event.actorId, events: 0, firstTimestamp: event.timestamp, lastTimestamp: event.timestamp,
                types: [:])
        ]
        .record(event)
        if event.type.hasSuffix("_failed") {
            let metadata = event.metadata
            failures.append(
                AuditReport.FailedAction(
                    offset: event.offset, timestamp: event.timestamp, type: event.type, actorId: event.actorId,
                    targetId: event.targetId, groupId: event.groupId,
                    error: metadata["error"]?.stringValue ?? metadata.canonicalString))
        }
    }

    mutating func combine(_ other: consuming AuditTally) {
        total += other.total
        types.merge(other.types, uniquingKeysWith: +)
        actors.merge(other.actors) { mine, theirs in
            var merged = mine
            merged.combine(theirs)
            return merged
        }
        failures += other.failures
    }

    /// The failed actions in offset order.
    var failuresInOrder: [AuditReport.FailedAction] { failures.sorted { $0.offset < $1.offset } }
}

extension AuditReport.ActorSummary {
    /// Adds the summary of other events of the same actor.
    mutating func combine(_ other: AuditReport.ActorSummary) {
        events += other.events
        firstTimestamp = min(firstTimestamp, other.firstTimestamp)
        lastTimestamp = max(lastTimestamp, other.lastTimestamp)
        types.merge(other.types, uniquingKeysWith: +)
    }
}
