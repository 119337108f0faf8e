/// Which replayed events can change a scope's entities, so that time travel for one thing skips the rest.
///
/// For a thing scope (one thing or several) it keeps: the things' own events, every `thing.deleted` (deleting
/// another thing deletes the connections it shares with these), every `connection.deleted` and `knowledge.deleted`
/// (an id deleted outside the scope may be created again touching it), every creation and restore of a connection
/// or knowledge item (a restore outside the scope replaces the snapshot's record of that id, which a later
/// `thing.deleted` must find as restored before the id can come back touching the scope; a restore into the scope
/// keeps the creation of the record it replaces, made outside the scope), connection updates of an edge touching one
/// of the things, and knowledge events of their items. Other `thing.*` events, and updates of other connections, are
/// skipped (other things' events before their metadata is parsed).
struct ScopeFilter {
    private let things: Set<String>?
    private var connections: Set<String> = []
    private var knowledge: Set<String> = []

    /// A filter that keeps every event (what a rebuild replays).
    static var everything: ScopeFilter { ScopeFilter(things: nil) }

    private init(things: Set<String>?) { self.things = things }

    /// A filter for `scope`, seeded with the scope's connections and knowledge in the snapshot `tables`.
    init(_ scope: OntologyScope, tables: [MemoryTables]) throws {
        switch scope {
        case .all, .group: things = nil
        case .thing(let id): things = [id]
        case .things(let ids): things = ids
        }
        for id in things ?? [] {
            connections.formUnion(try ConnectionsProjection.ids(touching: id, in: tables[1]))
            for key in try tables[2].keys(KnowledgeProjection.byThing, prefix: OntologyKey.prefix(id)) {
                knowledge.insert(key.withUnsafeBytes { OntologyKey.lastPart($0) })
            }
        }
    }

    /// Whether every event matters (the whole state, or a group's, which depends on every event).
    var keepsEverything: Bool { things == nil }

    /// Whether an event of `type` on `target` may matter, before its metadata is parsed.
    func mayTouch(type: String, target: String?) -> Bool {
        guard let things, type.hasEventTypePrefix("thing.") else { return true }
        return type == OntologyEventType.thingDeleted || target.map(things.contains) == true
    }

    /// Whether a parsed event changes the scope; notes the connections and knowledge items that join it.
    mutating func touches(_ event: ProjectedEvent) -> Bool {
        guard let things else { return true }
        let target = event.targetId ?? ""
        func inScope(_ field: String) -> Bool { event.metadata[field]?.stringValue.map(things.contains) == true }
        switch event.type {
        case OntologyEventType.connectionCreated, OntologyEventType.connectionRestored:
            if inScope("fromId") || inScope("toId") { connections.insert(target) }
            // Every creation and restore, in the scope or not. A restore replaces the record a snapshot holds for
            // that id, whose ends a later `thing.deleted` of the restored ones must find, so that the id can come
            // back touching the scope without the stale record. A creation outside the scope makes the record a
            // later restore into the scope keeps its creation from (a restore of an existing entity keeps its
            // `createdAt` and `createdOffset`).
            return true
        case OntologyEventType.connectionDeleted, OntologyEventType.knowledgeDeleted:
            // Every deletion, in the scope or not: the replay starts from a snapshot holding every entity, and an
            // id deleted outside the scope may come back touching it, which must not find the stale record.
            return true
        case let type where type.hasEventTypePrefix("connection."):
            return connections.contains(target)
        case OntologyEventType.knowledgeAdded, OntologyEventType.knowledgeRestored:
            // Every addition and restore, as for connections: a restore may move the item to another thing, whose
            // deletion deletes it, or into the scope, keeping the creation of the item it replaces.
            if inScope("thingId") { knowledge.insert(target) }
            return true
        case let type where type.hasEventTypePrefix("knowledge."):
            return knowledge.contains(target)
        default:
            return mayTouch(type: event.type, target: event.targetId)
        }
    }

    /// A view holding only `scope`'s entities from `view` (its index entries rebuilt from them).
    static func extract(
        _ scope: OntologyScope, from view: OntologyView, entries: [ProjectionCatalog.Entry]
    ) throws -> OntologyView {
        let tables = entries.map { MemoryTables(tableCount: $0.projection.tableNames.count) }
        let things: [Thing]
        let connections: [Connection]
        let knowledge: [KnowledgeItem]
        switch scope {
        case .all:
            return view
        case .thing(let id):
            (things, connections, knowledge) = try entities(of: [id], in: view)
        case .things(let ids):
            (things, connections, knowledge) = try entities(of: ids.sorted(), in: view)
        case .group(let group):
            things = try view.things(ThingFilter(groupId: group, limit: .max))
            connections = try view.connections(ConnectionFilter(groupId: group, limit: .max))
            knowledge = try view.knowledge(KnowledgeFilter(groupId: group, limit: .max))
        }
        for thing in things { try ThingsProjection.store(thing, replacing: nil, in: tables[0]) }
        for connection in connections { try ConnectionsProjection.store(connection, in: tables[1]) }
        for item in knowledge { try KnowledgeProjection.storeForQueries(item, in: tables[2]) }
        MemoryTables.freeze(tables)
        return OntologyView(things: tables[0], connections: tables[1], knowledge: tables[2], offset: view.offset)
    }

    /// The things `ids`, their connections (each once) and their knowledge, from `view`.
    private static func entities(
        of ids: [String], in view: OntologyView
    ) throws -> ([Thing], [Connection], [KnowledgeItem]) {
        var things: [Thing] = []
        var connections: [String: Connection] = [:]
        var knowledge: [KnowledgeItem] = []
        for id in ids {
            if let thing = try view.thing(id) { things.append(thing) }
            for c in try view.connections(ConnectionFilter(fromId: id, limit: .max)) { connections[c.id] = c }
            for c in try view.connections(ConnectionFilter(toId: id, limit: .max)) { connections[c.id] = c }
            knowledge += try view.knowledge(KnowledgeFilter(thingId: id, limit: .max))
        }
        return (things, connections.keys.sorted().compactMap { connections[$0] }, knowledge)
    }
}
