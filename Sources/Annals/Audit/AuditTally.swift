/// What an audit counts of the events that pass its filters: per type, per actor, and the failed actions, gathered
/// on every core by ranges of records (``EventTally``) and appended in offset order.
struct AuditTally: EventTally {
    static var takesEvents: Bool { true }

    /// The filters an event must pass to be counted.
    let query: EventQuery
    var total: UInt64 = 0
    var types: [String: UInt64] = [:]
    /// Keyed by the actor id as the event has it: `nil` (no actor) is not the id `-`.
    var actors: [String?: AuditReport.ActorSummary] = [:]
    /// In offset order.
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

    mutating func append(_ later: consuming AuditTally) {
        total += later.total
        types.merge(later.types, uniquingKeysWith: +)
        actors.merge(later.actors) { earlier, later in
            var merged = earlier
            merged.append(later)
            return merged
        }
        failures += later.failures
    }
}

extension AuditReport.ActorSummary {
    /// Adds the summary of the same actor's later events.
    mutating func append(_ later: AuditReport.ActorSummary) {
        events += later.events
        firstTimestamp = min(firstTimestamp, later.firstTimestamp)
        lastTimestamp = max(lastTimestamp, later.lastTimestamp)
        types.merge(later.types, uniquingKeysWith: +)
    }
}
