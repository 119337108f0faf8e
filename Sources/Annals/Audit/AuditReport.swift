import LMDB

/// Who did what, and when, over a range of the log, anchored to the head it was computed from.
///
/// The same log and arguments give the same report, byte for byte (``json``): nothing in it depends on when or
/// where it was produced.
public struct AuditReport: Sendable, Hashable {
    /// The head when the audit started: the report covers the log prefix ending there. For a head that does not
    /// check out, the end of the range checked with the hash the chain computes there
    /// (``VerificationReport/lastHash``); `nil` when that record, or one since the checkpoint before it, cannot be
    /// read, which leaves that hash unknown (the range still ends at ``query``'s `to`).
    public var anchor: LogHead?
    /// The filters applied (the offset range is clamped to the anchor).
    public var query: EventQuery
    /// The chain verification of the offset range.
    public var verification: VerificationReport
    /// Events that passed the filters.
    public var events: UInt64
    /// Per actor, in name order: first the events without an actor (``ActorSummary/actor`` `nil`), then each actor id.
    public var actors: [ActorSummary]
    /// Events per type, in name order.
    public var types: [String: UInt64]
    /// Events whose type ends in `_failed`, in offset order.
    public var failures: [FailedAction]

    /// One actor's activity.
    public struct ActorSummary: Sendable, Hashable {
        /// The actor id, or `nil` for the events without one (kept apart from an actor whose id is `-`).
        public var actor: String?
        /// How many events.
        public var events: UInt64
        /// The earliest and latest timestamps (ms since 1970).
        public var firstTimestamp: Int64
        /// The latest timestamp.
        public var lastTimestamp: Int64
        /// Events per type.
        public var types: [String: UInt64]

        mutating func record(_ event: RecordedEvent) {
            events += 1
            firstTimestamp = min(firstTimestamp, event.timestamp)
            lastTimestamp = max(lastTimestamp, event.timestamp)
            types[event.type, default: 0] += 1
        }
    }

    /// A failed action.
    public struct FailedAction: Sendable, Hashable {
        /// The event's offset.
        public var offset: UInt64
        /// Its timestamp.
        public var timestamp: Int64
        /// Its type.
        public var type: String
        /// Who.
        public var actorId: String?
        /// On what.
        public var targetId: String?
        /// Which organization.
        public var groupId: String?
        /// `metadata.error` when it is a string, else the whole metadata.
        public var error: String
    }

    /// The report as one deterministic JSON object (keys sorted).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "anchor": anchor.map { .string($0.anchor) } ?? .null,
            "coveredPrefix": .object([
                "lastOffset": .integer(anchor?.offset ?? query.to),
                "hash": anchor.map { .string($0.hash.hex) } ?? .null,
            ]),
            "range": .object(["from": .integer(verification.from), "to": .integer(verification.to)]),
            "events": .integer(events),
            "types": .object(types.mapValues { .integer($0) }),
            "actors": .array(
                actors.map { a in
                    .object([
                        "actor": a.actor.map(JSONValue.string) ?? .null, "events": .integer(a.events),
                        "first": .string(ISO8601.string(milliseconds: a.firstTimestamp)),
                        "last": .string(ISO8601.string(milliseconds: a.lastTimestamp)),
                        "types": .object(a.types.mapValues { .integer($0) }),
                    ])
                }),
            "failures": .array(
                failures.map { f in
                    var o: [String: JSONValue] = [
                        "offset": .integer(f.offset), "time": .string(ISO8601.string(milliseconds: f.timestamp)),
                        "type": .string(f.type), "error": .string(f.error),
                    ]
                    if let actor = f.actorId { o["actorId"] = .string(actor) }
                    if let target = f.targetId { o["targetId"] = .string(target) }
                    if let group = f.groupId { o["groupId"] = .string(group) }
                    return .object(o)
                }),
            "verification": .object([
                "intact": .bool(verification.isIntact),
                "recordsChecked": .integer(verification.recordsChecked),
                "problems": .array(
                    verification.problems.map { p in
                        .object([
                            "offset": .integer(p.offset), "kind": .string(p.kind.rawValue), "detail": .string(p.detail),
                        ])
                    }),
            ]),
        ]
        var filters: [String: JSONValue] = [:]
        if !query.types.isEmpty { filters["types"] = .array(query.types.map { .string($0) }) }
        if let actor = query.actorId { filters["actor"] = .string(actor) }
        if let target = query.targetId { filters["target"] = .string(target) }
        if let group = query.groupId { filters["group"] = .string(group) }
        if let since = query.since { filters["since"] = .string(ISO8601.string(milliseconds: since)) }
        if let until = query.until { filters["until"] = .string(ISO8601.string(milliseconds: until)) }
        object["filters"] = .object(filters)
        return .object(object)
    }
}

extension AuditReport {
    /// The report on a store whose pages on the way to the head are damaged: those pages as problems, no anchor, no
    /// record read (the range ends at 0, as a verification that read none says).
    init(damagedPages damage: [StructureProblem], query: EventQuery) {
        var bounded = query
        bounded.to = 0
        bounded.limit = nil
        bounded.reverse = false
        self.init(
            anchor: nil, query: bounded, verification: .init(damagedPages: damage, from: query.from), events: 0,
            actors: [], types: [:], failures: [])
    }
}

extension EventStore {
    /// Audits the events matching `query`: counts per actor and type, failed actions, and a chain verification of
    /// the offset range, all anchored to the head at the start.
    ///
    /// Damaged pages on the way to the head (the path to the last record, `meta`, `dictionaries`, the records since
    /// the checkpoint before the head) are reported as ``VerificationProblem/Kind/structure`` problems, with no
    /// anchor and no record read.
    public func audit(_ query: EventQuery = EventQuery()) throws(AnnalsError) -> AuditReport {
        // A head that does not check out (a tail cut off, a meta head hash that disagrees, a malformed last key) is
        // damage the verification below reports: the audit still runs, anchored afterwards to the end of the range
        // it checked, with the hash the chain computes there.
        var anchor: LogHead?
        var headRefusal: (offset: UInt64, reason: String)?
        do {
            anchor = try checkedHead()
        } catch .corruptRecord(let offset, let reason) {
            headRefusal = (offset, reason)
        } catch .storage(let failure) where failure.code == .corrupted {
            // Damaged pages on the way to the head: LMDB would follow them (and may crash), so nothing is read
            // through them; the report names them, as `verify` does, and is anchored nowhere.
            let damage = try headPageDamage()
            guard !damage.isEmpty else { throw .storage(failure) }
            return AuditReport(damagedPages: damage, query: query)
        }
        // Checked against the head the audit is anchored to: `verify` reads the head again, after appends may have
        // reached `from`.
        if let anchor, query.from > anchor.offset && anchor.offset > 0 {
            throw AnnalsError.invalidArgument(
                "the range starts at offset \(query.from), after the last offset \(anchor.offset)")
        }
        var bounded = query
        bounded.to = min(query.to, anchor?.offset ?? query.to)
        bounded.limit = nil
        bounded.reverse = false
        // One pass: the verification decodes every record in the range and tallies the intact ones.
        var (verification, tally) = try verify(
            from: bounded.from, to: bounded.to, anchor: nil, progress: nil, tally: AuditTally(query: bounded))
        if let headRefusal, headRefusal.offset > 0, headRefusal.offset < bounded.from {
            // What refused the head lies before the range (a changed checkpoint the range's chain starts from): the
            // verification cannot see it, and the report would otherwise read intact with no anchor and no reason.
            // (Offset 0 is a malformed last key, which the verification lists itself.)
            verification.prepend(
                VerificationProblem(
                    offset: headRefusal.offset, kind: .chainBreak,
                    detail: "before the range: the head does not check out: \(headRefusal.reason)"))
        }
        if anchor == nil {
            bounded.to = verification.to
            if let hash = verification.lastHash, try !chainRestsOnChangedCheckpoint(at: verification.to) {
                anchor = logHead(offset: verification.to, hash: hash)
            }
        }
        return AuditReport(
            anchor: anchor, query: bounded, verification: verification, events: tally.total,
            actors: tally.actors.values.sorted { a, b in
                guard let second = b.actor else { return false }
                guard let first = a.actor else { return true }
                return first < second
            }, types: tally.types, failures: tally.failuresInOrder)
    }
}
