import LMDB

/// The ontology as it was at an earlier log offset: the nearest snapshot with the rest of the log replayed on it.
///
/// Immutable once computed, and independent of any transaction: it may be kept, and read from several tasks at once
/// (its tables are frozen, and a snapshot's blocks are decompressed under a lock).
public struct HistoricalState: @unchecked Sendable {
    /// The offset the state reflects.
    public let offset: UInt64
    /// The snapshot it started from, or `nil` when it replayed the log from the start.
    public let snapshotOffset: UInt64?
    /// Events replayed on top of the snapshot.
    public let replayedEvents: Int
    /// Damaged snapshots met and skipped on the way (each a ``AnnalsError/corruptSnapshot(offset:reason:)``).
    public let skippedSnapshots: [AnnalsError]
    /// The things, connections and knowledge at ``offset``.
    public let view: OntologyView
}

extension EventStore {
    /// The ontology as of `offset` (0 is the empty state): loads the newest intact snapshot at or before it and
    /// replays the events after the snapshot up to `offset`.
    ///
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for an offset past the head,
    ///   ``AnnalsError/projectionUnavailable(name:reason:)`` when the built-in projections are not registered.
    public func state(at offset: UInt64) throws(AnnalsError) -> HistoricalState {
        try state(at: offset, scope: .all)
    }

    /// The part `scope` of the ontology as of `offset`: for ``OntologyScope/thing(_:)``, the thing, its connections
    /// and its knowledge, found by replaying only the events that can touch them after the snapshot (most of a
    /// history is other things' updates, which are skipped without parsing). The view holds nothing else. A group
    /// scope replays everything and keeps the group's entities.
    ///
    /// With `checkingPages`, the pages it follows are checked before LMDB follows them, for a store that may be
    /// damaged: the path to the head, the snapshots, then the log from the snapshot it starts from to `offset`. A
    /// damaged page throws ``AnnalsError/storage(_:)`` (`LMDBError.Code.corrupted`) naming it.
    public func state(at offset: UInt64, scope: OntologyScope, checkingPages: Bool = false) throws(AnnalsError)
        -> HistoricalState
    {
        do {
            return try computeState(at: offset, scope: scope.canonicalSpelling, checkingPages: checkingPages)
        } catch {
            throw AnnalsError(error)
        }
    }

    /// The ontology as of the last event with a timestamp at or before `time` (milliseconds since 1970), found
    /// through the timestamp index.
    public func state(atTime time: Int64) throws(AnnalsError) -> HistoricalState {
        try state(at: try offset(atTime: time))
    }

    /// The highest offset whose event has a timestamp at or before `time`, or 0 (also for a time before 1970, which
    /// no event's timestamp is). (Timestamps supplied by clients need not rise with offsets; the state is always that
    /// of a log prefix.) With `checkingPages`, the pages that the read through the time index follows are checked
    /// first (``checkLogPages(for:)``).
    public func offset(atTime time: Int64, checkingPages: Bool = false) throws(AnnalsError) -> UInt64 {
        guard time >= 0 else { return 0 }
        let query = EventQuery(until: time == .max ? time : time + 1, limit: 1, reverse: true)
        if checkingPages { try checkLogPages(for: query) }
        let last = try events(query).collect().first
        return last?.offset ?? 0
    }

    private func ontologyEntries() throws -> [ProjectionCatalog.Entry] {
        try OntologyProjections.names.map { name in
            guard let entry = projections.entry(name), entry.isAvailable else {
                throw AnnalsError.projectionUnavailable(
                    name: name, reason: "time travel needs the built-in things, connections and knowledge projections")
            }
            return entry
        }
    }

    /// The state of `scope` as of `offset`, replayed in chunks of `chunkSize` events (tests use small chunks).
    func computeState(
        at offset: UInt64, scope: OntologyScope, checkingPages: Bool = false,
        chunkSize: Int = ParallelReplay.defaultChunkSize
    ) throws -> HistoricalState {
        if checkingPages { try checkSnapshotPages() }
        try requireWithinLog(offset)
        let entries = try ontologyEntries()
        let (start, skipped) = try newestSnapshot(atOrBefore: offset, for: entries)
        let tables = start?.tables ?? entries.map { MemoryTables(tableCount: $0.projection.tableNames.count) }
        let position = start?.offset ?? 0
        if checkingPages, position < offset { try checkLogPages(offsets: [position + 1...offset]) }
        var filter = try ScopeFilter(scope, tables: tables)
        let prefilter = filter
        let handled: @Sendable (RecordedEvent) -> Bool = { event in
            entries.contains { $0.projection.handles(eventType: event.type) }
                && prefilter.mayTouch(type: event.type, target: event.targetId)
        }
        let replay = ParallelReplay(store: self, entries: entries, tables: tables, chunkSize: chunkSize)
        let replayed = try replay.run(after: position, through: offset, filter: &filter, including: handled)
        // A scoped state keeps the extract's tables (frozen by ScopeFilter.extract), not these.
        if scope == .all { MemoryTables.freeze(tables) }
        let replayedView = OntologyView(
            things: tables[0], connections: tables[1], knowledge: tables[2], offset: offset)
        return HistoricalState(
            offset: offset, snapshotOffset: start?.offset, replayedEvents: replayed, skippedSnapshots: skipped,
            view: scope == .all ? replayedView : try ScopeFilter.extract(scope, from: replayedView, entries: entries))
    }

    /// Throws ``AnnalsError/invalidArgument(_:)`` when `offset` is past the log's head: there is no state as of it.
    func requireWithinLog(_ offset: UInt64) throws(AnnalsError) {
        let head = try head().offset
        guard offset <= head else { throw .invalidArgument("offset \(offset) is past the log head \(head)") }
    }

    /// The newest snapshot at or before `offset` that holds the tables of `entries` as this code builds them, loaded,
    /// and the damaged snapshots met on the way (newer ones, skipped).
    func newestSnapshot(
        atOrBefore offset: UInt64, for entries: [ProjectionCatalog.Entry]
    ) throws -> (start: (offset: UInt64, tables: [MemoryTables])?, skipped: [AnnalsError]) {
        var skipped: [AnnalsError] = []
        for key in try snapshotKeys().reversed() where key <= offset && key > 0 {
            do {
                if let tables = try loadSnapshot(key, for: entries) { return ((key, tables), skipped) }
            } catch let error as AnnalsError {
                skipped.append(error)
            }
        }
        return (nil, skipped)
    }

    /// The tables of `entries` from the snapshot at `offset`, or `nil` when it was taken by other versions of
    /// them. Throws ``AnnalsError/corruptSnapshot(offset:reason:)`` when it is damaged.
    ///
    /// Its directory is read first, without the CRC-32C of its contents: a snapshot of other versions (every one
    /// taken before a projection's upgrade) is passed over without reading its tables, which may be many megabytes.
    private func loadSnapshot(_ offset: UInt64, for entries: [ProjectionCatalog.Entry]) throws -> [MemoryTables]? {
        guard let database = projections.snapshots else { return nil }
        let wanted = entries.map(\.projection)
        let stored = try environment.read { txn -> [SnapshotFormat.Projection]? in
            try offset.bigEndianBytes.withUnsafeBytes { key in
                try txn.handle.withValue(database, key: key) { value throws(AnnalsError) in
                    guard let value,
                        try SnapshotFormat.directory(value, key: offset, checkingContents: false).holdsAll(wanted)
                    else { return nil }
                    return try SnapshotFormat.projections(value, key: offset)
                }
            }
        }
        guard let stored else { return nil }
        var tables: [MemoryTables] = []
        for entry in entries {
            let projection = entry.projection
            guard let match = stored.first(where: { $0.matches(projection) }) else { return nil }
            // Tables the snapshot leaves out start empty (time travel does not use them).
            let stored = Dictionary(
                zip(match.entry.tables.map(\.name), match.tables), uniquingKeysWith: { first, _ in first })
            tables.append(MemoryTables(bases: projection.tableNames.map { stored[$0] }))
        }
        return tables
    }
}
