/// The built-in view of things: by id, and indexed by type, by group (and type) and by status.
///
/// Tables: `things` (id → record), `by-type` (type␀id), `by-group` (group␀type␀id, the group empty for things
/// without one) and `by-status` (status␀id).
public struct ThingsProjection: Projection {
    /// `things`.
    public let name = "things"
    /// The layout version (2: a `thing.restored` sets the thing's group to the event's; 3: types and statuses are
    /// stored in Unicode normalization form C).
    public let version = 3
    /// The tables, in ``ProjectionTable`` order.
    public let tableNames = ["things", "by-type", "by-group", "by-status"]

    static let things = ProjectionTable(0)
    static let byType = ProjectionTable(1)
    static let byGroup = ProjectionTable(2)
    static let byStatus = ProjectionTable(3)

    /// The things view.
    public init() {}

    /// `thing.*` events.
    public func handles(eventType: String) -> Bool { eventType.hasEventTypePrefix("thing.") }

    /// Applies a thing event; in live mode rejects creating an existing thing and changing a missing one.
    public func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
        let live = context.mode == .live
        if let update = CanonicalThingUpdate(event) {
            // Most events of a thing's life: applied from the metadata's bytes, which are never parsed.
            return try Self.withPatcher(bytes: update.propertiesPatch) { patch in
                if update.name == nil, update.status == nil, let patch {
                    try Self.patchProperties(of: update.id, by: event, in: tables, live: live, patch)
                } else {
                    try Self.update(
                        update.id, name: update.name, status: update.status, properties: patch, by: event,
                        in: tables, live: live)
                }
            }
        }
        if let creation = CanonicalThingCreation(event) {
            try EntityIDs.requireUnused(creation.id, creatingIn: name, context: context)
            return try Self.create(
                creation.id, thingType: creation.thingType, name: creation.name, status: creation.status,
                propertiesJSON: creation.propertiesJSON, by: event, in: tables, rejectingExisting: live,
                restoring: false)
        }
        guard let parsed = try OntologyEvent.parse(event, mode: context.mode) else { return }
        switch parsed {
        case .thingCreated(let id, let fields), .thingRestored(let id, let fields):
            var restoring = true
            if case .thingCreated = parsed { restoring = false }
            // A restore (a rollback's) brings back an id another kind may have taken since: refused too.
            try EntityIDs.requireUnused(id, creatingIn: name, context: context)
            try Self.create(
                id, thingType: fields.thingType, name: fields.name, status: fields.status,
                propertiesJSON: fields.properties.canonicalBytes, by: event, in: tables,
                rejectingExisting: live && !restoring, restoring: restoring)
        case .thingUpdated(let id, nil, nil, let patch?):
            try Self.patchProperties(of: id, by: event, in: tables, live: live) {
                CanonicalMergePatch.apply(patch, toObject: $0)
            }
        case .thingUpdated(let id, let name, let status, let patch):
            try Self.update(
                id, name: name, status: status,
                properties: patch.map { patch in { CanonicalMergePatch.apply(patch, toObject: $0) } },
                by: event, in: tables, live: live)
        case .thingDeleted(let id):
            guard let thing = try Self.thing(id, in: tables) else {
                if live { throw ProjectionRejection(field: "targetId", "thing '\(id)' does not exist") }
                return
            }
            try Self.remove(thing, from: tables)
        default:
            return
        }
    }

    /// Calls `body` with a function that applies the canonical merge patch `bytes` to stored properties (`nil`
    /// when there is no patch).
    private static func withPatcher<R>(
        bytes: ArraySlice<UInt8>?, _ body: (((_ stored: UnsafeRawBufferPointer) -> [UInt8]?)?) throws -> R
    ) rethrows -> R {
        guard let bytes else { return try body(nil) }
        return try bytes.withUnsafeBytes { patch in
            try body { CanonicalMergePatch.apply(canonicalPatch: patch, toObject: $0) }
        }
    }

    /// Creates thing `id` or, with `restoring`, restores it over what is there (keeping its creation stamp; the
    /// group becomes the event's, which a restore states). A `thing.created` replayed over an existing thing keeps
    /// its group; with `rejectingExisting`, an existing thing is a rejection instead.
    private static func create(
        _ id: String, thingType: String, name: String?, status: String, propertiesJSON: [UInt8],
        by event: ProjectedEvent, in tables: any ProjectionWriter, rejectingExisting: Bool, restoring: Bool
    ) throws {
        let existing = try Self.thing(id, in: tables)
        if rejectingExisting, existing != nil {
            throw ProjectionRejection(field: "targetId", "thing '\(id)' already exists")
        }
        let stamp = existing.map { $0.stamp.touched(by: event) } ?? EntityStamp(createdBy: event)
        let thing = Thing(
            id: id, thingType: thingType, groupId: restoring ? event.groupId : existing?.groupId ?? event.groupId,
            name: name, status: status,
            propertiesJSON: propertiesJSON, stamp: stamp)
        try Self.store(thing, replacing: existing, in: tables)
    }

    /// Updates thing `id`'s name (`.some(nil)` clears it) and status, and patches its properties with `properties`
    /// (which returns the patched object, or `nil` when the stored one is malformed); its index entries follow.
    private static func update(
        _ id: String, name: String??, status: String?,
        properties: ((_ stored: UnsafeRawBufferPointer) -> [UInt8]?)?, by event: ProjectedEvent,
        in tables: any ProjectionWriter, live: Bool
    ) throws {
        guard var thing = try Self.thing(id, in: tables) else {
            if live { throw ProjectionRejection(field: "targetId", "thing '\(id)' does not exist") }
            return
        }
        let old = thing
        if let name { thing.name = name }
        if let status { thing.status = status }
        if let properties {
            guard let patched = thing.propertiesJSON.withUnsafeBytes(properties) else {
                throw OntologyRecordError(table: "things", key: id)
            }
            thing.propertiesJSON = patched
        }
        thing.stamp = thing.stamp.touched(by: event)
        try Self.store(thing, replacing: old, in: tables)
    }

    /// Replaces thing `id`'s properties with what `patch` makes of them (most updates change properties only):
    /// the stored record is patched without decoding its other fields, and no index entry changes.
    private static func patchProperties(
        of id: String, by event: ProjectedEvent, in tables: any ProjectionWriter, live: Bool,
        _ patch: (_ stored: UnsafeRawBufferPointer) -> [UInt8]?
    ) throws {
        let key = Array(id.utf8)
        let record = try tables.withValue(Self.things, key: key) { stored in
            try stored.map { try Thing.record($0, id: id, touchedBy: event, patchingProperties: patch) }
        }
        guard let record else {
            if live { throw ProjectionRejection(field: "targetId", "thing '\(id)' does not exist") }
            return
        }
        try tables.put(Self.things, key: key, value: record)
    }

    /// The thing `id` in `tables`, or `nil`.
    static func thing(_ id: String, in tables: any ProjectionReader) throws -> Thing? {
        try tables.withValue(things, key: Array(id.utf8)) { value in try value.map { try Thing(id: id, decoding: $0) } }
    }

    private static func indexKeys(_ thing: Thing) -> [(ProjectionTable, [UInt8])] {
        [
            (byType, OntologyKey.make(thing.thingType, thing.id)),
            (byGroup, OntologyKey.make(thing.groupId ?? "", thing.thingType, thing.id)),
            (byStatus, OntologyKey.make(thing.status, thing.id)),
        ]
    }

    static func store(_ thing: Thing, replacing old: Thing?, in tables: any ProjectionWriter) throws {
        try tables.put(things, key: Array(thing.id.utf8), value: thing.encoded)
        // Most updates change properties only: then every index entry stays as it is.
        if let old, old.thingType == thing.thingType, old.groupId == thing.groupId, old.status == thing.status {
            return
        }
        let keys = indexKeys(thing)
        let oldKeys = old.map(indexKeys) ?? []
        for (index, (table, key)) in keys.enumerated() {
            if index < oldKeys.count {
                if oldKeys[index].1 == key { continue }
                try tables.remove(table, key: oldKeys[index].1)
            }
            try tables.put(table, key: key, value: [])
        }
    }

    static func remove(_ thing: Thing, from tables: any ProjectionWriter) throws {
        try tables.remove(things, key: Array(thing.id.utf8))
        for (table, key) in indexKeys(thing) { try tables.remove(table, key: key) }
    }
}

extension OntologyEvent {
    /// Parses a vocabulary event for a projection: a malformed event is rejected in live mode and ignored in
    /// replay mode (it can only be in the log if it was appended while the projection was not registered).
    static func parse(_ event: ProjectedEvent, mode: ProjectionContext.Mode) throws -> OntologyEvent? {
        do {
            return try parse(type: event.type, targetId: event.targetId, metadata: event.metadata, live: mode == .live)
        } catch {
            if mode == .live { throw error }
            return nil
        }
    }
}
