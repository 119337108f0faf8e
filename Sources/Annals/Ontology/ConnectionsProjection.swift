/// The built-in view of connections: by id, from and to each thing (with the type), and by type.
///
/// Tables: `connections` (id → record), `from` (fromId␀type␀id), `to` (toId␀type␀id) and `by-type` (type␀id).
/// Deleting a thing deletes its connections.
public struct ConnectionsProjection: Projection {
    /// `connections`.
    public let name = "connections"
    /// The layout version.
    public let version = 1
    /// The tables, in ``ProjectionTable`` order.
    public let tableNames = ["connections", "from", "to", "by-type"]

    static let connections = ProjectionTable(0)
    static let from = ProjectionTable(1)
    static let to = ProjectionTable(2)
    static let byType = ProjectionTable(3)

    /// The connections view.
    public init() {}

    /// `connection.*` events, and `thing.deleted` (which removes the thing's connections).
    public func handles(eventType: String) -> Bool {
        eventType.hasPrefix("connection.") || eventType == OntologyEventType.thingDeleted
    }

    /// Applies a connection event; in live mode rejects a missing endpoint, a duplicate id and changes to a missing
    /// connection.
    public func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
        guard let parsed = try OntologyEvent.parse(event, mode: context.mode) else { return }
        let live = context.mode == .live
        switch parsed {
        case .connectionCreated(let id, let fields), .connectionRestored(let id, let fields):
            let existing = try Self.connection(id, in: tables)
            if live {
                if existing != nil, case .connectionCreated = parsed {
                    throw ProjectionRejection(field: "targetId", "connection '\(id)' already exists")
                }
                if let things = context.tables(of: "things") {
                    for (field, thing) in [("metadata.fromId", fields.fromId), ("metadata.toId", fields.toId)]
                    where try ThingsProjection.thing(thing, in: things) == nil {
                        throw ProjectionRejection(field: field, "thing '\(thing)' does not exist")
                    }
                }
            }
            let stamp = existing.map { $0.stamp.touched(by: event) } ?? EntityStamp(createdBy: event)
            let connection = Connection(
                id: id, fromId: fields.fromId, toId: fields.toId, connectionType: fields.connectionType,
                groupId: existing?.groupId ?? event.groupId, properties: fields.properties, stamp: stamp)
            if let existing { try Self.remove(existing, from: tables) }
            try Self.store(connection, in: tables)
        case .connectionUpdated(let id, let endpoints, let patch):
            guard var connection = try Self.connection(id, in: tables) else {
                if live { throw ProjectionRejection(field: "targetId", "connection '\(id)' does not exist") }
                return
            }
            if live {
                let given = [
                    ("metadata.fromId", endpoints.fromId, connection.fromId),
                    ("metadata.toId", endpoints.toId, connection.toId),
                    ("metadata.connectionType", endpoints.connectionType, connection.connectionType),
                ]
                for (field, value, actual) in given where value != nil && value != actual {
                    throw ProjectionRejection(
                        field: field, "is '\(value!)' but connection '\(id)' has '\(actual)' (it cannot change)")
                }
            }
            connection.propertiesJSON = CanonicalMergePatch.apply(patch, to: connection.propertiesJSON)
            connection.stamp = connection.stamp.touched(by: event)
            try tables.put(Self.connections, key: Array(id.utf8), value: connection.encoded)
        case .connectionDeleted(let id):
            guard let connection = try Self.connection(id, in: tables) else {
                if live { throw ProjectionRejection(field: "targetId", "connection '\(id)' does not exist") }
                return
            }
            try Self.remove(connection, from: tables)
        case .thingDeleted(let thing):
            for id in try Self.ids(touching: thing, in: tables) {
                if let connection = try Self.connection(id, in: tables) { try Self.remove(connection, from: tables) }
            }
        default:
            return
        }
    }

    /// The connection `id` in `tables`, or `nil`.
    static func connection(_ id: String, in tables: any ProjectionReader) throws -> Connection? {
        try tables.withValue(connections, key: Array(id.utf8)) { value in
            try value.map { try Connection(id: id, decoding: $0) }
        }
    }

    /// The ids of the connections from or to `thing`, sorted and unique.
    static func ids(touching thing: String, in tables: any ProjectionReader) throws -> [String] {
        var ids = Set<String>()
        for table in [from, to] {
            try tables.scan(table, prefix: OntologyKey.prefix(thing)) { key, _ in
                ids.insert(OntologyKey.lastPart(key))
                return true
            }
        }
        return ids.sorted()
    }

    static func store(_ connection: Connection, in tables: any ProjectionWriter) throws {
        try tables.put(connections, key: Array(connection.id.utf8), value: connection.encoded)
        for (table, key) in indexKeys(connection) { try tables.put(table, key: key, value: []) }
    }

    static func remove(_ connection: Connection, from tables: any ProjectionWriter) throws {
        try tables.remove(connections, key: Array(connection.id.utf8))
        for (table, key) in indexKeys(connection) { try tables.remove(table, key: key) }
    }

    private static func indexKeys(_ c: Connection) -> [(ProjectionTable, [UInt8])] {
        [
            (from, OntologyKey.make(c.fromId, c.connectionType, c.id)),
            (to, OntologyKey.make(c.toId, c.connectionType, c.id)),
            (byType, OntologyKey.make(c.connectionType, c.id)),
        ]
    }
}
