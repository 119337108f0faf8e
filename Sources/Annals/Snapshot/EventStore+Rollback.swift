import Foundation
import LMDB

/// A part of the ontology: what a rollback restores, and what ``EventStore/state(at:scope:)`` computes.
public enum OntologyScope: Sendable, Hashable, CustomStringConvertible {
    /// Everything.
    case all
    /// One thing, its connections (both directions) and its knowledge.
    case thing(String)
    /// The things, connections and knowledge of one group.
    case group(String)

    /// `all`, `thing:ID` or `group:G`, as rollback events record it.
    public var description: String {
        switch self {
        case .all: "all"
        case .thing(let id): "thing:\(id)"
        case .group(let group): "group:\(group)"
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
}

extension EventStore {
    /// Computes the compensating events that make the current state of `scope` equal its state as of `offset`,
    /// without appending them (the dry run). `timestamp` stamps the events (default: the time of the append).
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for an offset past the head; what ``state(at:)`` throws.
    public func planRollback(
        to offset: UInt64, scope: OntologyScope = .all, actorId: String, timestamp: Int64? = nil
    ) throws(AnnalsError) -> RollbackPlan {
        do {
            let past = try state(at: offset).view
            let pastEntities = try ScopedEntities(past, scope)
            return try environment.read { txn in
                let now = try liveView(txn)
                let head = now.offset
                let handle = txn.handle
                let current = try ScopedEntities(now, scope)
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
                return RollbackPlan(
                    targetOffset: offset, scope: scope, head: head, changes: builder.changes, events: builder.events)
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// Rolls `scope` back to its state as of `offset` by appending the compensating events of
    /// ``planRollback(to:scope:actorId:timestamp:)`` as one atomic batch. The log is never rewritten.
    /// - Returns: The plan and the receipts (empty when nothing differs).
    public func rollback(
        to offset: UInt64, scope: OntologyScope = .all, actorId: String, timestamp: Int64? = nil
    ) async throws(AnnalsError) -> (plan: RollbackPlan, receipts: [AppendReceipt]) {
        let plan = try planRollback(to: offset, scope: scope, actorId: actorId, timestamp: timestamp)
        guard !plan.events.isEmpty else { return (plan, []) }
        return (plan, try await append(contentsOf: plan.events))
    }
}

/// The entities of one scope in one view, by id.
private struct ScopedEntities {
    var things: [String: Thing] = [:]
    var connections: [String: Connection] = [:]
    var knowledge: [String: KnowledgeItem] = [:]

    init(_ view: OntologyView, _ scope: OntologyScope) throws {
        switch scope {
        case .all:
            for thing in try view.things(ThingFilter(limit: .max)) { things[thing.id] = thing }
            for c in try view.connections(ConnectionFilter(limit: .max)) { connections[c.id] = c }
            for item in try view.knowledge(KnowledgeFilter(limit: .max)) { knowledge[item.id] = item }
        case .thing(let id):
            if let thing = try view.thing(id) { things[id] = thing }
            for c in try view.connections(ConnectionFilter(fromId: id, limit: .max)) { connections[c.id] = c }
            for c in try view.connections(ConnectionFilter(toId: id, limit: .max)) { connections[c.id] = c }
            for item in try view.knowledge(KnowledgeFilter(thingId: id, limit: .max)) { knowledge[item.id] = item }
        case .group(let group):
            for thing in try view.things(ThingFilter(groupId: group, limit: .max)) { things[thing.id] = thing }
            for c in try view.connections(ConnectionFilter(groupId: group, limit: .max)) { connections[c.id] = c }
            for item in try view.knowledge(KnowledgeFilter(groupId: group, limit: .max)) { knowledge[item.id] = item }
        }
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
        for id in current.connections.keys.sorted() where past.connections[id] == nil {
            try add(
                "connection", id, .delete, current.connections[id]!.json, nil, OntologyEventType.connectionDeleted,
                group: current.connections[id]!.groupId, [:])
        }
        for id in current.knowledge.keys.sorted() where past.knowledge[id] == nil {
            try add(
                "knowledge", id, .delete, current.knowledge[id]!.json, nil, OntologyEventType.knowledgeDeleted,
                group: current.knowledge[id]!.groupId, [:])
        }
        for id in current.things.keys.sorted() where past.things[id] == nil {
            try add(
                "thing", id, .delete, current.things[id]!.json, nil, OntologyEventType.thingDeleted,
                group: current.things[id]!.groupId, [:])
        }
        for (id, thing) in past.things.sorted(by: { $0.key < $1.key }) {
            let now = current.things[id]
            if let now, now.thingType == thing.thingType, now.name == thing.name, now.status == thing.status,
                now.propertiesJSON == thing.propertiesJSON
            {
                continue
            }
            var fields: [String: JSONValue] = [
                "thingType": .string(thing.thingType), "status": .string(thing.status), "properties": thing.properties,
            ]
            if let name = thing.name { fields["name"] = .string(name) }
            try add(
                "thing", id, .restore, now?.json, thing.json, OntologyEventType.thingRestored,
                group: thing.groupId, fields)
        }
        for (id, c) in past.connections.sorted(by: { $0.key < $1.key }) {
            let now = current.connections[id]
            if let now, now.fromId == c.fromId, now.toId == c.toId, now.connectionType == c.connectionType,
                now.propertiesJSON == c.propertiesJSON
            {
                continue
            }
            try add(
                "connection", id, .restore, now?.json, c.json, OntologyEventType.connectionRestored,
                group: c.groupId,
                [
                    "fromId": .string(c.fromId), "toId": .string(c.toId),
                    "connectionType": .string(c.connectionType), "properties": c.properties,
                ])
        }
        for (id, item) in past.knowledge.sorted(by: { $0.key < $1.key }) {
            let now = current.knowledge[id]
            if let now, now.thingId == item.thingId, now.text == item.text, now.labels == item.labels,
                now.suppliedEmbedding == item.suppliedEmbedding
            {
                continue
            }
            var fields: [String: JSONValue] = [
                "thingId": .string(item.thingId), "text": .string(item.text),
                "labels": .array(item.labels.map(JSONValue.string)),
            ]
            if let vector = item.suppliedEmbedding { fields["embedding"] = .array(vector.map { .double(Double($0)) }) }
            try add(
                "knowledge", id, .restore, now?.json, item.json, OntologyEventType.knowledgeRestored,
                group: item.groupId, fields)
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
