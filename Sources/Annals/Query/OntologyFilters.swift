/// Which things a query returns. Every field narrows the result; `nil` means any.
public struct ThingFilter: Sendable, Hashable {
    /// Only things of this type.
    public var thingType: String?
    /// Only things of this group.
    public var groupId: String?
    /// Only things with this status.
    public var status: String?
    /// At most this many (0: none; a negative limit is refused with ``AnnalsError/invalidArgument(_:)``).
    public var limit: Int

    /// A filter; the default returns every thing, up to 1000.
    public init(thingType: String? = nil, groupId: String? = nil, status: String? = nil, limit: Int = 1000) {
        self.thingType = thingType
        self.groupId = groupId
        self.status = status
        self.limit = limit
    }

    /// The filter with its names in the canonical spelling (NFC) views store them in.
    var canonicalSpelling: ThingFilter {
        var filter = self
        filter.thingType = thingType?.canonicalSpelling
        filter.groupId = groupId?.canonicalSpelling
        filter.status = status?.canonicalSpelling
        return filter
    }

    func matches(_ thing: Thing) -> Bool {
        (thingType == nil || thing.thingType == thingType) && (groupId == nil || thing.groupId == groupId)
            && (status == nil || thing.status == status)
    }
}

/// Which connections a query returns. Every field narrows the result; `nil` means any.
public struct ConnectionFilter: Sendable, Hashable {
    /// Only connections starting at this thing.
    public var fromId: String?
    /// Only connections pointing to this thing.
    public var toId: String?
    /// Only connections of this type.
    public var connectionType: String?
    /// Only connections of this group.
    public var groupId: String?
    /// At most this many (0: none; a negative limit is refused with ``AnnalsError/invalidArgument(_:)``).
    public var limit: Int

    /// A filter; the default returns every connection, up to 1000.
    public init(
        fromId: String? = nil, toId: String? = nil, connectionType: String? = nil, groupId: String? = nil,
        limit: Int = 1000
    ) {
        self.fromId = fromId
        self.toId = toId
        self.connectionType = connectionType
        self.groupId = groupId
        self.limit = limit
    }

    /// The filter with its ids and names in the canonical spelling (NFC) views store them in.
    var canonicalSpelling: ConnectionFilter {
        var filter = self
        filter.fromId = fromId?.canonicalSpelling
        filter.toId = toId?.canonicalSpelling
        filter.connectionType = connectionType?.canonicalSpelling
        filter.groupId = groupId?.canonicalSpelling
        return filter
    }

    func matches(_ c: Connection) -> Bool {
        (fromId == nil || c.fromId == fromId) && (toId == nil || c.toId == toId)
            && (connectionType == nil || c.connectionType == connectionType) && (groupId == nil || c.groupId == groupId)
    }
}

/// Which knowledge items a query returns. Every field narrows the result; `nil` or empty means any.
public struct KnowledgeFilter: Sendable, Hashable {
    /// Only items about this thing.
    public var thingId: String?
    /// Only items carrying every one of these labels.
    public var labels: [String]
    /// Only items of this group.
    public var groupId: String?
    /// At most this many (0: none; a negative limit is refused with ``AnnalsError/invalidArgument(_:)``).
    public var limit: Int

    /// A filter; the default returns every item, up to 1000.
    public init(thingId: String? = nil, labels: [String] = [], groupId: String? = nil, limit: Int = 1000) {
        self.thingId = thingId
        self.labels = labels
        self.groupId = groupId
        self.limit = limit
    }

    /// The filter with its ids and labels in the canonical spelling (NFC) views store them in.
    var canonicalSpelling: KnowledgeFilter {
        var filter = self
        filter.thingId = thingId?.canonicalSpelling
        filter.labels = labels.map(\.canonicalSpelling)
        filter.groupId = groupId?.canonicalSpelling
        return filter
    }

    func matches(_ item: KnowledgeItem) -> Bool {
        (thingId == nil || item.thingId == thingId) && (groupId == nil || item.groupId == groupId)
            && labels.allSatisfy(item.labels.contains)
    }
}

/// Which way a graph walk follows connections.
public enum TraversalDirection: String, Sendable, CaseIterable {
    /// From a thing along its outgoing connections.
    case outgoing
    /// From a thing back along its incoming connections.
    case incoming
    /// Both ways.
    case both
}

/// The things and connections within some hops of a thing.
public struct Neighbourhood: Sendable, Hashable {
    /// Each thing reached with its distance in hops (the start is at 0), ordered by distance, then id.
    public var things: [(thing: Thing, depth: Int)] {
        get { entries.map { ($0.thing, $0.depth) } }
        set { entries = newValue.map { Entry(thing: $0.thing, depth: $0.depth) } }
    }
    /// The connections walked, sorted by id.
    public var connections: [Connection]

    struct Entry: Sendable, Hashable {
        var thing: Thing
        var depth: Int
    }
    var entries: [Entry]

    init(entries: [Entry], connections: [Connection]) {
        self.entries = entries
        self.connections = connections
    }

    /// The neighbourhood as JSON: `{"things": [{…, "depth": n}], "connections": […]}`.
    public var json: JSONValue {
        .object([
            "things": .array(
                entries.map { entry in
                    var members = entry.thing.json.objectValue ?? [:]
                    members["depth"] = .integer(entry.depth)
                    return .object(members)
                }),
            "connections": .array(connections.map(\.json)),
        ])
    }
}
