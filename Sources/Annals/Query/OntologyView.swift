/// The things, connections and knowledge as of one point in the log: the live views inside a read transaction
/// (``EventStore/read(_:)``), or the state as of an earlier offset (``EventStore/state(at:scope:)``).
///
/// A view from ``EventStore/read(_:)`` is valid only inside that closure.
///
/// Every query throws ``AnnalsError`` (typed), so a `catch` can switch over its cases: a negative filter limit or a
/// depth out of range is ``AnnalsError/invalidArgument(_:)``, a damaged record of a view is
/// ``AnnalsError/projectionUnavailable(name:reason:)``, a failed LMDB call ``AnnalsError/storage(_:)``, a closed store
/// ``AnnalsError/closed``.
public struct OntologyView {
    let things: any ProjectionReader
    let connectionTables: any ProjectionReader
    /// The knowledge tables, or why they cannot be read (a live knowledge view built with another embedder, say),
    /// which only the knowledge queries throw: things and connections need no embedder.
    let knowledgeSource: Result<any ProjectionReader, AnnalsError>
    /// The log offset the view reflects.
    public let offset: UInt64

    init(
        things: any ProjectionReader, connections: any ProjectionReader, knowledge: any ProjectionReader,
        offset: UInt64
    ) {
        self.init(things: things, connections: connections, knowledgeSource: .success(knowledge), offset: offset)
    }

    init(
        things: any ProjectionReader, connections: any ProjectionReader,
        knowledgeSource: Result<any ProjectionReader, AnnalsError>, offset: UInt64
    ) {
        self.things = things
        self.connectionTables = connections
        self.knowledgeSource = knowledgeSource
        self.offset = offset
    }

    /// The knowledge tables; throws why they cannot be read.
    var knowledgeTables: any ProjectionReader {
        get throws(AnnalsError) { try knowledgeSource.get() }
    }

    // MARK: Things

    // Every query maps the ids and names it is given to the canonical spelling (NFC) views store them in, so any
    // canonically equivalent spelling finds the same entities.

    /// The thing `id`, or `nil`.
    public func thing(_ id: String) throws(AnnalsError) -> Thing? {
        try Self.querying { try ThingsProjection.thing(id.canonicalSpelling, in: things) }
    }

    /// The ids of the things whose id starts with `prefix`, in id order, at most `limit`, without reading the things:
    /// for ids that say what they name (the plugin platform's `plugin:SCOPE:NAME`, say).
    public func thingIDs(startingWith prefix: String, limit: Int = .max) throws(AnnalsError) -> [String] {
        var ids: [String] = []
        guard limit > 0 else { return ids }
        try Self.querying {
            try things.scan(ThingsProjection.things, prefix: Array(prefix.canonicalSpelling.utf8)) { key, _ in
                ids.append(String(decoding: key, as: UTF8.self))
                return ids.count < limit
            }
        }
        return ids
    }

    /// Whether a filter's `limit` asks for any result: `false` for 0 (no results, as `EventQuery`'s limit 0 gives).
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for a negative limit, as `EventQuery` and `SearchQuery` do.
    private static func wantsAny(limit: Int, of filter: String) throws(AnnalsError) -> Bool {
        guard limit >= 0 else { throw .invalidArgument("\(filter).limit must not be negative, got \(limit)") }
        return limit > 0
    }

    /// The things that match `filter`, through the most selective index: group (and type), then type, then status.
    public func things(_ filter: ThingFilter = ThingFilter()) throws(AnnalsError) -> [Thing] {
        guard try Self.wantsAny(limit: filter.limit, of: "ThingFilter") else { return [] }
        let filter = filter.canonicalSpelling
        let (table, prefix): (ProjectionTable, [UInt8]) =
            if let group = filter.groupId {
                (
                    ThingsProjection.byGroup,
                    filter.thingType.map { OntologyKey.prefix(group, $0) } ?? OntologyKey.prefix(group)
                )
            } else if let type = filter.thingType {
                (ThingsProjection.byType, OntologyKey.prefix(type))
            } else if let status = filter.status {
                (ThingsProjection.byStatus, OntologyKey.prefix(status))
            } else {
                (ThingsProjection.things, [])
            }
        return try collect(
            things, table, prefix: prefix, primary: ThingsProjection.things, limit: filter.limit,
            decode: { try Thing(id: $0, decoding: $1) }, lookup: { try self.thing($0) }, keep: filter.matches)
    }

    // MARK: Connections

    /// The connection `id`, or `nil`.
    public func connection(_ id: String) throws(AnnalsError) -> Connection? {
        try Self.querying { try ConnectionsProjection.connection(id.canonicalSpelling, in: connectionTables) }
    }

    /// The connections that match `filter`, through the `from`, `to` or `by-type` index when the filter allows.
    public func connections(_ filter: ConnectionFilter = ConnectionFilter()) throws(AnnalsError) -> [Connection] {
        guard try Self.wantsAny(limit: filter.limit, of: "ConnectionFilter") else { return [] }
        let filter = filter.canonicalSpelling
        let (table, prefix): (ProjectionTable, [UInt8]) =
            if let from = filter.fromId {
                (
                    ConnectionsProjection.from,
                    filter.connectionType.map { OntologyKey.prefix(from, $0) } ?? OntologyKey.prefix(from)
                )
            } else if let to = filter.toId {
                (
                    ConnectionsProjection.to,
                    filter.connectionType.map { OntologyKey.prefix(to, $0) } ?? OntologyKey.prefix(to)
                )
            } else if let type = filter.connectionType {
                (ConnectionsProjection.byType, OntologyKey.prefix(type))
            } else {
                (ConnectionsProjection.connections, [])
            }
        return try collect(
            connectionTables, table, prefix: prefix, primary: ConnectionsProjection.connections, limit: filter.limit,
            decode: { try Connection(id: $0, decoding: $1) }, lookup: { try self.connection($0) }, keep: filter.matches)
    }

    /// The things within `depth` hops of `id` and the connections between them, walking `direction` and only
    /// connections of `types` when given. Stops adding things at `limit`.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for a depth outside 0…16.
    public func neighbourhood(
        of id: String, depth: Int = 1, direction: TraversalDirection = .both, types: Set<String> = [],
        limit: Int = 10_000
    ) throws(AnnalsError) -> Neighbourhood {
        guard (0...16).contains(depth) else {
            throw .invalidArgument("depth \(depth) is outside 0…16")
        }
        let id = id.canonicalSpelling
        let types = Set(types.map(\.canonicalSpelling))
        guard let start = try thing(id) else { return Neighbourhood(entries: [], connections: []) }
        var entries = [Neighbourhood.Entry(thing: start, depth: 0)]
        var seen: Set<String> = [id]
        var walked: [String: Connection] = [:]
        var frontier = [id]
        for level in 1...max(depth, 1) where level <= depth && !frontier.isEmpty {
            var next: [String] = []
            for current in frontier {
                var edges: [Connection] = []
                if direction != .incoming { edges += try connections(ConnectionFilter(fromId: current, limit: .max)) }
                if direction != .outgoing { edges += try connections(ConnectionFilter(toId: current, limit: .max)) }
                for edge in edges where types.isEmpty || types.contains(edge.connectionType) {
                    let other = edge.fromId == current ? edge.toId : edge.fromId
                    if !seen.contains(other) {
                        guard entries.count < limit, let thing = try thing(other) else { continue }
                        seen.insert(other)
                        entries.append(Neighbourhood.Entry(thing: thing, depth: level))
                        next.append(other)
                    }
                    walked[edge.id] = edge
                }
            }
            frontier = next.sorted()
        }
        entries.sort { ($0.depth, $0.thing.id) < ($1.depth, $1.thing.id) }
        let connections = walked.values.filter { seen.contains($0.fromId) && seen.contains($0.toId) }
        return Neighbourhood(entries: entries, connections: connections.sorted { $0.id < $1.id })
    }

    // MARK: Knowledge

    /// The knowledge item `id`, or `nil`.
    public func knowledgeItem(_ id: String) throws(AnnalsError) -> KnowledgeItem? {
        try Self.querying { try KnowledgeProjection.item(id.canonicalSpelling, in: knowledgeTables) }
    }

    /// The knowledge items that match `filter`, through the `by-thing` or `by-label` index when the filter allows.
    public func knowledge(_ filter: KnowledgeFilter = KnowledgeFilter()) throws(AnnalsError) -> [KnowledgeItem] {
        guard try Self.wantsAny(limit: filter.limit, of: "KnowledgeFilter") else { return [] }
        let filter = filter.canonicalSpelling
        let (table, prefix): (ProjectionTable, [UInt8]) =
            if let thing = filter.thingId {
                (KnowledgeProjection.byThing, OntologyKey.prefix(thing))
            } else if let label = filter.labels.first {
                (KnowledgeProjection.byLabel, OntologyKey.prefix(label))
            } else {
                (KnowledgeProjection.items, [])
            }
        return try collect(
            knowledgeTables, table, prefix: prefix, primary: KnowledgeProjection.items, limit: filter.limit,
            decode: { try KnowledgeItem(id: $0, decoding: $1) }, lookup: { try self.knowledgeItem($0) },
            keep: filter.matches)
    }

    /// The entities under `prefix` in `table` that `keep` accepts, at most `limit`: entries of the `primary` table
    /// decode in place, index entries look the entity up by the id after the key's last separator.
    private func collect<T>(
        _ tables: any ProjectionReader, _ table: ProjectionTable, prefix: [UInt8], primary: ProjectionTable,
        limit: Int, decode: (String, UnsafeRawBufferPointer) throws -> T, lookup: (String) throws -> T?,
        keep: (T) -> Bool
    ) throws(AnnalsError) -> [T] {
        var result: [T] = []
        try Self.querying {
            try tables.scan(table, prefix: prefix) { key, value in
                let entity =
                    table == primary
                    ? try decode(String(decoding: key, as: UTF8.self), value) : try lookup(OntologyKey.lastPart(key))
                if let entity, keep(entity) { result.append(entity) }
                return result.count < limit
            }
        }
        return result
    }

    /// Runs `body`, which reads the view's tables, with what it throws as an ``AnnalsError`` (a failed LMDB call as
    /// ``AnnalsError/storage(_:)``, a damaged record as ``AnnalsError/projectionUnavailable(name:reason:)``).
    private static func querying<R>(_ body: () throws -> R) throws(AnnalsError) -> R {
        do {
            return try body()
        } catch {
            throw AnnalsError(error)
        }
    }
}
