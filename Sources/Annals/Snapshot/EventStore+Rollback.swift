import Foundation
import LMDB

/// A part of the ontology: what a rollback restores, and what ``EventStore/state(at:scope:)`` computes.
public enum OntologyScope: Sendable, Hashable, CustomStringConvertible {
    /// Everything.
    case all
    /// One thing, its connections (both directions) and its knowledge.
    case thing(String)
    /// Several things, with their connections (both directions) and knowledge: what a change that spans a few
    /// related things (a plugin update and the dependencies it moved) rolls back together.
    case things(Set<String>)
    /// The things, connections and knowledge of one group.
    case group(String)

    /// `all`, `thing:ID` or `group:G`, as rollback events record it.
    public var description: String {
        switch self {
        case .all: "all"
        case .thing(let id): "thing:\(id)"
        case .things(let ids): "things:" + ids.sorted().joined(separator: ",")
        case .group(let group): "group:\(group)"
        }
    }

    /// The scope with its ids in the canonical spelling (NFC) views store them in.
    var canonicalSpelling: OntologyScope {
        switch self {
        case .all: .all
        case .thing(let id): .thing(id.canonicalSpelling)
        case .things(let ids): .things(Set(ids.map(\.canonicalSpelling)))
        case .group(let group): .group(group.canonicalSpelling)
        }
    }
}

/// One entity a rollback changes.
public struct RollbackChange: Sendable, Hashable {
    /// What a rollback does to an entity.
    public enum Action: String, Sendable {
        /// Sets it back to its earlier state (recreating it if it was deleted).
        case restore
        /// Deletes it (it did not exist at the target offset).
        case delete
    }

    /// `thing`, `connection` or `knowledge`.
    public var entity: String
    /// The entity's id.
    public var id: String
    /// What happens to it.
    public var action: Action
    /// Its current state, or `nil` if it does not exist now.
    public var current: JSONValue?
    /// Its state at the target offset, or `nil` if it did not exist then.
    public var target: JSONValue?

    /// The change as JSON: `{"entity", "id", "action", "current", "target"}`.
    public var json: JSONValue {
        .object([
            "entity": .string(entity), "id": .string(id), "action": .string(action.rawValue),
            "current": current ?? .null, "target": target ?? .null,
        ])
    }
}

/// What a rollback appends: the diff between now and the target offset within the scope, and the compensating
/// events that undo it.
public struct RollbackPlan: Sendable {
    /// The offset whose state the scope returns to.
    public var targetOffset: UInt64
    /// The scope.
    public var scope: OntologyScope
    /// The log head the plan was computed at.
    public var head: UInt64
    /// The entities that change, in the order of ``events``.
    public var changes: [RollbackChange]
    /// The compensating events, one atomic batch; each carries `expectedVersion`, so a concurrent change to an
    /// entity makes the rollback fail instead of overwriting it.
    public var events: [NewEvent]
    /// The ids of every entity of the scope, now or at the target offset: what an event appended after ``head``
    /// must not touch for the plan to hold (``EventStore/rollback(to:scope:actorId:timestamp:)``).
    var entityIDs: Set<String> = []
}

extension EventStore {
    /// Computes the compensating events that make the current state of `scope` equal its state as of `offset`,
    /// without appending them (the dry run). `timestamp` stamps the events (default: the time of the append).
    ///
    /// With `checkingPages`, the pages the plan follows are checked before LMDB follows them, for a store that may be
    /// damaged: those ``state(at:scope:checkingPages:)`` checks, every page of the three views
    /// (``checkViewPages(of:tables:)``) and the `streams` database, whose versions the events expect.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for an offset past the head, or an `actorId` no event may carry
    ///   (``NewEvent/identifierProblem(_:)``); ``AnnalsError/rollbackTargetInsideBatch(offset:batch:)`` for an
    ///   offset inside an earlier rollback's batch (``rollbackBatch(containing:)``); what ``state(at:)``
    ///   throws;
    ///   ``AnnalsError/rollbackRefused(index:type:reason:)`` when a restore would take over an entity outside the
    ///   scope (one the scope had at `offset` whose id now names an entity outside it);
    ///   ``AnnalsError/rejectedEvent(index:type:projection:reason:)`` when a view rejects the plan's events;
    ///   ``AnnalsError/invalidArgument(_:)`` when a restore would be larger than ``StoreOptions/maximumEventSize``; with
    ///   `checkingPages`, ``AnnalsError/storage(_:)`` (`LMDBError.Code.corrupted`) naming a damaged page.
    public func planRollback(
        to offset: UInt64, scope: OntologyScope = .all, actorId: String, timestamp: Int64? = nil,
        checkingPages: Bool = false
    ) throws(AnnalsError) -> RollbackPlan {
        let scope = scope.canonicalSpelling
        // Every event of the plan carries it: refused here, so that a dry run fails where the append would.
        if let problem = NewEvent.identifierProblem(actorId) {
            throw .invalidArgument("the rollback's actorId \(problem)")
        }
        // A half-applied rollback is a state that never existed: refused before anything is computed.
        try refuseTargetInsideRollbackBatch(offset)
        if checkingPages {
            try checkViewPages(of: OntologyProjections.names)
            // A writable open refuses a damaged `streams` too, so `reindex` cannot replace it: restore a backup.
            try requireSoundPages(
                of: [schema.streams.name], operation: "planRollback", "the log's indexes have damaged pages",
                advice: Self.logDamageAdvice)
        }
        do {
            let past = try state(at: offset, scope: .all, checkingPages: checkingPages).view
            let pastEntities = try ScopedEntities(past, scope)
            return try readingLiveViews {
                try environment.read { txn in
                    let now = try liveView(txn)
                    let head = now.offset
                    let handle = txn.handle
                    var current = try ScopedEntities(now, scope)
                    // Deleting a thing deletes its connections and knowledge, in whatever group they are: they are
                    // deleted explicitly, so the plan lists them and the log records each one.
                    try current.addCascades(
                        ofDeleting: current.things.keys.filter { pastEntities.things[$0] == nil }, in: now)
                    let streams = schema.streams
                    var builder = RollbackBuilder(
                        offset: offset, scope: scope, actorId: actorId, timestamp: timestamp
                    ) { target in
                        try Array(target.utf8).withUnsafeBytes { key in
                            try handle.withValue(streams, key: key) { stored in
                                guard let stored, stored.count == 8 else { return 0 }
                                return UInt64(bigEndianBytes: stored)
                            }
                        }
                    }
                    try builder.diff(current: current, past: pastEntities)
                    try builder.refuseChangesOutsideTheScope(now)
                    // Prepared once, as an append prepares them: measured against the size limit, then applied to the
                    // views in memory.
                    let prepared = try PreparedEvent.prepareAll(
                        builder.events, now: timestamp ?? currentTimeMilliseconds())
                    try refuseEventsOverTheLimit(prepared, changes: builder.changes, targetOffset: offset)
                    do {
                        try checkAgainstViews(prepared, head: head, handle)
                    } catch AnnalsError.rejectedEvent(let index, let type, let projection, let reason)
                        where builder.changes.indices.contains(index)
                    {
                        // The batch index alone does not say which entity: a refused plan prints no change lines.
                        let change = builder.changes[index]
                        let action = change.action == .restore ? "restore" : "deletion"
                        throw AnnalsError.rejectedEvent(
                            index: index, type: type, projection: projection,
                            reason: "\(reason), in the \(action) of \(change.entity) '\(change.id)'")
                    }
                    return RollbackPlan(
                        targetOffset: offset, scope: scope, head: head, changes: builder.changes,
                        events: builder.events,
                        entityIDs: current.ids.union(pastEntities.ids))
                }
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// Checks that `events`, the plan's ``RollbackPlan/events`` as the caller is about to append them (one per change,
    /// in the same order, with metadata of its own added, say), still fit in this store: a restore planned just under
    /// ``StoreOptions/maximumEventSize`` may not once more is added. Call it before a dry run returns too, so that the
    /// dry run fails where the append would.
    /// - Throws: what an append throws for an invalid event; ``AnnalsError/invalidArgument(_:)`` naming the entity
    ///   and the size, as ``planRollback(to:scope:actorId:timestamp:checkingPages:)`` does, for an event over the
    ///   limit.
    public func checkSizes(of events: [NewEvent], toAppendFor plan: RollbackPlan) throws(AnnalsError) {
        guard events.count == plan.changes.count else {
            throw .invalidArgument(
                "\(events.count) events for a rollback plan of \(plan.changes.count) changes: pass one per change")
        }
        let prepared = try PreparedEvent.prepareAll(events, now: currentTimeMilliseconds())
        try refuseEventsOverTheLimit(prepared, changes: plan.changes, targetOffset: plan.targetOffset)
    }

    /// Throws when a compensating event (`prepared`, for `changes` in order) would be larger than the store takes
    /// (``StoreOptions/maximumEventSize``): a restore carries the entity's whole state, which many small updates may
    /// have grown past what one event holds. Checked when planning, so that a dry run says so too.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` naming the entity and the size, for the first such event.
    func refuseEventsOverTheLimit(
        _ prepared: [PreparedEvent], changes: [RollbackChange], targetOffset: UInt64
    ) throws(AnnalsError) {
        let limit = options.maximumEventSize
        for (index, event) in prepared.enumerated() {
            let size = Envelope.encoded(event, version: (event.event.expectedVersion ?? 0) + 1).count
            guard size > limit else { continue }
            let change = changes[index]
            throw AnnalsError.invalidArgument(
                "restoring \(change.entity) '\(change.id)' as of offset \(targetOffset) takes an event of \(size) "
                    + "bytes, over this store's limit of \(limit) (maximumEventSize): its state then cannot be "
                    + "written back in one event; nothing was appended (open the store with a larger "
                    + "maximumEventSize: 'annals rollback --max-event-size')")
        }
    }

    /// How many times a rollback computes its plan when events that may change its scope were appended while it
    /// planned, before it gives up with ``AnnalsError/conflictingAppend(offset:plannedAt:)``.
    public static let rollbackAttempts = 3

    /// Rolls `scope` back to its state as of `offset` by appending the compensating events of
    /// ``planRollback(to:scope:actorId:timestamp:checkingPages:)`` as one atomic batch. The log is never rewritten.
    ///
    /// The batch is appended only if no event that may change the scope was appended after the offset the plan was
    /// computed at (events of other types, and ontology events elsewhere, do not matter); otherwise the plan is
    /// computed again from the new state, up to ``rollbackAttempts`` times.
    /// - Returns: The plan and the receipts (empty when nothing differs).
    /// - Throws: As ``planRollback(to:scope:actorId:timestamp:checkingPages:)`` and ``append(contentsOf:)``;
    ///   ``AnnalsError/conflictingAppend(offset:plannedAt:)`` when the scope kept changing.
    public func rollback(
        to offset: UInt64, scope: OntologyScope = .all, actorId: String, timestamp: Int64? = nil
    ) async throws(AnnalsError) -> (plan: RollbackPlan, receipts: [AppendReceipt]) {
        var attempt = 1
        while true {
            let plan = try planRollback(to: offset, scope: scope, actorId: actorId, timestamp: timestamp)
            guard !plan.events.isEmpty else { return (plan, []) }
            do {
                return (plan, try await append(contentsOf: plan.events, condition: rollbackCondition(plan)))
            } catch .conflictingAppend where attempt < Self.rollbackAttempts {
                attempt += 1
            }
        }
    }

    /// ``rollback(to:scope:actorId:timestamp:)`` for synchronous code, blocking the calling thread; with
    /// `checkingPages`, the plan checks the pages it reads first (``planRollback(to:scope:actorId:timestamp:checkingPages:)``).
    public func rollbackAndWait(
        to offset: UInt64, scope: OntologyScope = .all, actorId: String, timestamp: Int64? = nil,
        checkingPages: Bool = false
    ) throws(AnnalsError) -> (plan: RollbackPlan, receipts: [AppendReceipt]) {
        var attempt = 1
        while true {
            // The pages are checked once, before the first plan: a replan reads the same ones.
            let plan = try planRollback(
                to: offset, scope: scope, actorId: actorId, timestamp: timestamp,
                checkingPages: checkingPages && attempt == 1)
            guard !plan.events.isEmpty else { return (plan, []) }
            do {
                return (plan, try appendAndWait(plan.events, condition: rollbackCondition(plan)))
            } catch .conflictingAppend where attempt < Self.rollbackAttempts {
                attempt += 1
            }
        }
    }

    /// What a rollback's events are appended under: no event appended since the plan's head that may change the
    /// scope (``RollbackScopeCheck``).
    func rollbackCondition(_ plan: RollbackPlan) -> AppendCondition {
        let check = RollbackScopeCheck(scope: plan.scope, entityIDs: plan.entityIDs)
        return AppendCondition(
            plannedAt: plan.head, store: self, including: check.mayChange, conflicts: check.changes)
    }
}

/// Which events appended after a rollback was planned may change its scope, and so invalidate the plan. It errs on
/// the side of a conflict (which only costs planning again): for a thing scope, any event of the scope's entities,
/// any connection or knowledge event naming one of its things, and every `thing.deleted` (which deletes the
/// connections and knowledge of the thing, whatever their scope); for a group, any event of the group or of the
/// scope's entities, every `thing.deleted` and every restore (which may move an entity into or out of the group);
/// for everything, any vocabulary event.
struct RollbackScopeCheck: Sendable {
    let scope: OntologyScope
    let entityIDs: Set<String>

    /// Whether an event of this type may change the ontology at all (before its metadata is read).
    @Sendable func mayChange(_ event: RecordedEvent) -> Bool { Self.isVocabulary(event.type) }

    private static func isVocabulary(_ type: String) -> Bool {
        type.hasEventTypePrefix("thing.") || type.hasEventTypePrefix("connection.")
            || type.hasEventTypePrefix("knowledge.")
    }

    /// Whether `event` may change the scope.
    @Sendable func changes(_ event: ProjectedEvent) -> Bool {
        let type = event.type
        guard Self.isVocabulary(type) else { return false }
        if type == OntologyEventType.thingDeleted { return true }
        // An event of the scope's entities, or a connection or knowledge item naming one of its things, whatever
        // its group: deleting the thing would take it along, and restoring the thing may need it gone.
        if names(of: event, contain: entityIDs) { return true }
        switch scope {
        case .all:
            return true
        case .group(let group):
            return event.groupId == group || type.hasSuffix(".restored")
        case .thing(let id):
            return names(of: event, contain: [id])
        case .things(let ids):
            return names(of: event, contain: ids)
        }
    }

    /// Whether the event is about one of `things` (its target, or the things a connection or knowledge item names).
    private func names(of event: ProjectedEvent, contain things: Set<String>) -> Bool {
        if let target = event.targetId, things.contains(target) { return true }
        guard !event.type.hasEventTypePrefix("thing.") else { return false }
        return ["fromId", "toId", "thingId"].contains { field in
            event.metadata[field]?.stringValue.map(things.contains) == true
        }
    }
}

/// The entities of one scope in one view, by id.
private struct ScopedEntities {
    var things: [String: Thing] = [:]
    var connections: [String: Connection] = [:]
    var knowledge: [String: KnowledgeItem] = [:]

    /// Every entity's id.
    var ids: Set<String> { Set(things.keys).union(connections.keys).union(knowledge.keys) }

    init(_ view: OntologyView, _ scope: OntologyScope) throws {
        switch scope {
        case .all:
            for thing in try view.things(ThingFilter(limit: .max)) { things[thing.id] = thing }
            for c in try view.connections(ConnectionFilter(limit: .max)) { connections[c.id] = c }
            for item in try view.knowledge(KnowledgeFilter(limit: .max)) { knowledge[item.id] = item }
        case .thing(let id):
            try add(thing: id, of: view)
        case .things(let ids):
            for id in ids { try add(thing: id, of: view) }
        case .group(let group):
            for thing in try view.things(ThingFilter(groupId: group, limit: .max)) { things[thing.id] = thing }
            for c in try view.connections(ConnectionFilter(groupId: group, limit: .max)) { connections[c.id] = c }
            for item in try view.knowledge(KnowledgeFilter(groupId: group, limit: .max)) { knowledge[item.id] = item }
        }
    }

    /// Adds the connections (both directions) and knowledge of the things `ids`, in any group: a thing's part of
    /// a scope, and what deleting one takes with it (a group's things may have connections and knowledge in
    /// others).
    mutating func addCascades(ofDeleting ids: some Sequence<String>, in view: OntologyView) throws {
        for id in ids {
            for c in try view.connections(ConnectionFilter(fromId: id, limit: .max)) { connections[c.id] = c }
            for c in try view.connections(ConnectionFilter(toId: id, limit: .max)) { connections[c.id] = c }
            for item in try view.knowledge(KnowledgeFilter(thingId: id, limit: .max)) { knowledge[item.id] = item }
        }
    }

    /// Adds one thing, its connections in both directions and its knowledge.
    private mutating func add(thing id: String, of view: OntologyView) throws {
        if let thing = try view.thing(id) { things[id] = thing }
        try addCascades(ofDeleting: [id], in: view)
    }
}

/// Turns the diff of two scoped states into changes and compensating events, in an order the projections accept:
/// deletions of connections and knowledge, then of things, then restores of things, connections and knowledge.
private struct RollbackBuilder {
    let offset: UInt64
    let scope: OntologyScope
    let actorId: String
    let timestamp: Int64?
    let streamVersion: (String) throws -> UInt64
    var changes: [RollbackChange] = []
    var events: [NewEvent] = []
    private var pendingVersions: [String: UInt64] = [:]

    init(
        offset: UInt64, scope: OntologyScope, actorId: String, timestamp: Int64?,
        streamVersion: @escaping (String) throws -> UInt64
    ) {
        self.offset = offset
        self.timestamp = timestamp
        self.scope = scope
        self.actorId = actorId
        self.streamVersion = streamVersion
    }

    mutating func diff(current: ScopedEntities, past: ScopedEntities) throws {
        try delete(current.connections, absentFrom: past.connections)
        try delete(current.knowledge, absentFrom: past.knowledge)
        try delete(current.things, absentFrom: past.things)
        try restore(past.things, differingIn: current.things)
        try restore(past.connections, differingIn: current.connections)
        try restore(past.knowledge, differingIn: current.knowledge)
    }

    /// Throws when a restore would change an entity outside the scope: one the scope lacks now, but whose id an
    /// entity outside it holds (a thing deleted and created again in another group, knowledge added again about
    /// another thing). Restoring it would take that entity over, with its content and group.
    /// The planner's own rule, not a projection's: no projection sees these events before the plan is refused.
    /// - Throws: ``AnnalsError/rollbackRefused(index:type:reason:)`` naming the restore and the entity.
    func refuseChangesOutsideTheScope(_ now: OntologyView) throws {
        for (index, change) in changes.enumerated() where change.action == .restore && change.current == nil {
            let holderGroup: String??
            switch change.entity {
            case Thing.entityName: holderGroup = try now.thing(change.id).map(\.groupId)
            case Connection.entityName: holderGroup = try now.connection(change.id).map(\.groupId)
            default: holderGroup = try now.knowledgeItem(change.id).map(\.groupId)
            }
            guard let holderGroup else { continue }
            let place = holderGroup.map { "in group '\($0)'" } ?? "without a group"
            throw AnnalsError.rollbackRefused(
                index: index, type: events[index].type,
                reason: "restoring \(change.entity) '\(change.id)' would take over the \(change.entity) of that id "
                    + "that exists now \(place), outside the rollback's scope \(scope); roll back a scope that holds "
                    + "both, or everything")
        }
    }

    /// Deletes the entities of `current` that `past` does not hold.
    private mutating func delete<Entity: OntologyEntity>(
        _ current: [String: Entity], absentFrom past: [String: Entity]
    ) throws {
        for id in current.keys.sorted() where past[id] == nil {
            let entity = current[id]!
            try add(
                Entity.entityName, id, .delete, entity.json, nil, Entity.deletedType, group: entity.groupId, [:])
        }
    }

    /// Restores the entities of `past` that `current` lacks or holds with other content.
    private mutating func restore<Entity: OntologyEntity>(
        _ past: [String: Entity], differingIn current: [String: Entity]
    ) throws {
        for (id, entity) in past.sorted(by: { $0.key < $1.key }) {
            let now = current[id]
            if let now, now.hasSameContent(as: entity) { continue }
            try add(
                Entity.entityName, id, .restore, now?.json, entity.json, Entity.restoredType, group: entity.groupId,
                entity.restoreFields)
        }
    }

    private mutating func add(
        _ entity: String, _ id: String, _ action: RollbackChange.Action, _ current: JSONValue?, _ target: JSONValue?,
        _ type: String, group: String?, _ fields: [String: JSONValue]
    ) throws {
        changes.append(RollbackChange(entity: entity, id: id, action: action, current: current, target: target))
        var metadata = fields
        metadata["rollback"] = .object(["toOffset": .integer(offset), "scope": .string(scope.description)])
        let version = try pendingVersions[id] ?? streamVersion(id)
        pendingVersions[id] = version + 1
        events.append(
            NewEvent(
                type: type, actorId: actorId, targetId: id, groupId: group, timestamp: timestamp,
                metadata: .object(metadata), expectedVersion: version))
    }
}
