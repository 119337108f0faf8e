/// The built-in view of connections: by id, from and to each thing (with the type), and by type.
///
/// Tables: `connections` (id → record), `from` (fromId␀type␀id), `to` (toId␀type␀id) and `by-type` (type␀id).
/// Deleting a thing deletes its connections.
public struct ConnectionsProjection: Projection {
    /// `connections`.
    public let name = "connections"
    /// The layout version (2: a `connection.restored` sets the connection's group to the event's; 3: endpoints and
    /// types are stored in Unicode normalization form C).
    public let version = 3
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
        eventType.hasEventTypePrefix("connection.") || eventType == OntologyEventType.thingDeleted
    }

    /// `connection.*` events: a `thing.deleted` is only followed (its connections go with it), never refused here.
    public func mayReject(eventType: String) -> Bool { eventType.hasEventTypePrefix("connection.") }

    /// Applies a connection event; in live mode rejects a missing endpoint, a duplicate id and changes to a missing
    /// connection.
    public func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
        let live = context.mode == .live
        switch CanonicalConnectionEvent(event) {
        case .created(let id, let fields, let propertiesJSON):
            return try Self.create(
                id, fromId: fields.fromId, toId: fields.toId, connectionType: fields.connectionType,
                propertiesJSON: propertiesJSON, by: event, in: tables, context: context, rejectingExisting: live,
                restoring: false)
        case .updated(let id, let endpoints, let patch):
            return try patch.withUnsafeBytes { patch in
                try Self.update(id, endpoints: endpoints, by: event, in: tables, live: live) {
                    CanonicalMergePatch.apply(canonicalPatch: patch, toObject: $0)
                }
            }
        case nil:
            break
        }
        guard let parsed = try OntologyEvent.parse(event, mode: context.mode) else { return }
        switch parsed {
        case .connectionCreated(let id, let fields), .connectionRestored(let id, let fields):
            var restoring = true
            if case .connectionCreated = parsed { restoring = false }
            try Self.create(
                id, fromId: fields.fromId, toId: fields.toId, connectionType: fields.connectionType,
                propertiesJSON: fields.properties.canonicalBytes, by: event, in: tables, context: context,
                rejectingExisting: live && !restoring, restoring: restoring)
        case .connectionUpdated(let id, let endpoints, let patch):
            try Self.update(id, endpoints: endpoints, by: event, in: tables, live: live) {
                CanonicalMergePatch.apply(patch, toObject: $0)
            }
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

    /// Creates connection `id` or, with `restoring`, restores it over what is there (keeping its creation stamp;
    /// the group becomes the event's, which a restore states). A `connection.created` replayed over an existing
    /// connection keeps its group. In live mode both endpoints must exist, and with `rejectingExisting` an existing
    /// connection is a rejection.
    private static func create(
        _ id: String, fromId: String, toId: String, connectionType: String, propertiesJSON: [UInt8],
        by event: ProjectedEvent, in tables: any ProjectionWriter, context: ProjectionContext, rejectingExisting: Bool,
        restoring: Bool
    ) throws {
        let existing = try Self.connection(id, in: tables)
        if rejectingExisting, existing != nil {
            throw ProjectionRejection(field: "targetId", "connection '\(id)' already exists")
        }
        try EntityIDs.requireUnused(id, creatingIn: "connections", context: context)
        if context.mode == .live, let things = context.tables(of: "things") {
            for (field, thing) in [("metadata.fromId", fromId), ("metadata.toId", toId)]
            where try ThingsProjection.thing(thing, in: things) == nil {
                throw ProjectionRejection(field: field, "thing '\(thing)' does not exist")
            }
        }
        let stamp = existing.map { $0.stamp.touched(by: event) } ?? EntityStamp(createdBy: event)
        let connection = Connection(
            id: id, fromId: fromId, toId: toId, connectionType: connectionType,
            groupId: restoring ? event.groupId : existing?.groupId ?? event.groupId, propertiesJSON: propertiesJSON,
            stamp: stamp)
        if let existing { try Self.remove(existing, from: tables) }
        try Self.store(connection, in: tables)
    }

    /// Patches connection `id`'s properties with `patch` (which returns the patched object, or `nil` when the stored
    /// one is malformed). In live mode the endpoints and type the event repeats must be the connection's.
    private static func update(
        _ id: String, endpoints: OntologyEvent.PartialEndpoints, by event: ProjectedEvent,
        in tables: any ProjectionWriter, live: Bool, _ patch: (_ stored: UnsafeRawBufferPointer) -> [UInt8]?
    ) throws {
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
        guard let patched = connection.propertiesJSON.withUnsafeBytes(patch) else {
            throw OntologyRecordError(table: "connections", key: id)
        }
        connection.propertiesJSON = patched
        connection.stamp = connection.stamp.touched(by: event)
        try tables.put(Self.connections, key: Array(id.utf8), value: connection.encoded)
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
