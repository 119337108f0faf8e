import LMDB

extension EventStore {
    /// Runs `body` with the live things, connections and knowledge views, all in one read transaction (a
    /// consistent state as of the log head, including every append that has returned). A view another process's
    /// appends left behind (one without the projection) is caught up first, on a store opened writable.
    ///
    /// - Throws: ``AnnalsError/projectionUnavailable(name:reason:)`` when a built-in projection is not registered or
    ///   not up to date (see ``StoreOptions/outdatedProjections``) or behind the log head where it cannot be caught
    ///   up (a store opened read-only; inside a read transaction; a catch-up that failed); for the knowledge view
    ///   other than behind (not registered, built with another embedder), only its queries throw it, and `body` can
    ///   read the things and connections; whatever `body` throws: an ``AnnalsError`` as it
    ///   is, an `LMDBError` as ``AnnalsError/storage(_:)``, any other error as ``AnnalsError/io(_:)`` with its
    ///   description (to keep an error of your own, return it from `body` as a value, such as a `Result`).
    public func read<R>(_ body: (OntologyView) throws -> R) throws(AnnalsError) -> R {
        do {
            return try readingLiveViews { try environment.read { txn in try body(try liveView(txn)) } }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// Runs `body` with the live tables of projection `name` (one registered in ``StoreOptions/projections``: your
    /// own, or a built-in one), in one read transaction as of the log head. What a custom projection wrote in
    /// ``Projection/apply(_:to:context:)`` is read back here, table by table (``ProjectionTable``, in the order of
    /// ``Projection/tableNames``).
    ///
    /// ```swift
    /// let count = try store.read(projection: "type-counts") { tables in
    ///     try tables.get(ProjectionTable(0), key: Array("order.created".utf8))
    /// }
    /// ```
    ///
    /// The tables are valid only inside the closure. A view another process's appends left behind is caught up
    /// first, as ``read(_:)`` does.
    /// - Throws: ``AnnalsError/projectionUnavailable(name:reason:)`` when `name` is not registered, not built yet,
    ///   outdated or behind the log head where it cannot be caught up; whatever `body` throws, wrapped as
    ///   ``read(_:)`` wraps it.
    public func read<R>(projection name: String, _ body: (any ProjectionReader) throws -> R) throws(AnnalsError) -> R {
        do {
            return try readingLiveViews {
                try environment.read { txn in
                    try body(try liveTables(name, head: try txn.lastOffset(schema), txn.handle))
                }
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// The live views in `txn`, as of its log head. A knowledge view that is unavailable fails only the knowledge
    /// queries: one built with another embedder (an application's, read by the CLI), not registered, or behind where
    /// no read can catch it up (in a read-only store, or after its catch-up failed) leaves the things and connections
    /// readable. One behind that a read can catch up is, by ``readingLiveViews(_:)``, before the caller's closure
    /// runs.
    func liveView(_ txn: borrowing Transaction) throws -> OntologyView {
        let head = try txn.lastOffset(schema)
        let handle = txn.handle
        let knowledge: Result<any ProjectionReader, AnnalsError>
        do {
            knowledge = .success(try liveTables("knowledge", head: head, handle))
        } catch let behind as ViewLeftBehind {
            guard let refusal = lastingRefusalToCatchUp(behind) else { throw behind }
            knowledge = .failure(refusal)
        } catch {
            knowledge = .failure(AnnalsError(error))
        }
        return OntologyView(
            things: try liveTables("things", head: head, handle),
            connections: try liveTables("connections", head: head, handle), knowledgeSource: knowledge, offset: head)
    }

    /// The current tables of projection `name` in `txn`, checked to be built by this code and at `head`.
    func liveTables(_ name: String, head: UInt64, _ txn: TransactionHandle) throws -> LMDBTables {
        guard let entry = projections.entry(name) else {
            throw AnnalsError.projectionUnavailable(name: name, reason: ProjectionCatalog.unregisteredReason)
        }
        guard entry.isAvailable, let state = try projections.state(name, txn) else {
            throw AnnalsError.projectionUnavailable(name: name, reason: ProjectionCatalog.unbuiltReason)
        }
        guard state.matches(entry.projection) else {
            throw AnnalsError.projectionUnavailable(
                name: name,
                reason: ProjectionMaintenancePlan.outdatedReason(state, entry.projection, head: head)
                    + "; " + ProjectionMaintenancePlan.rebuildAdvice(name))
        }
        guard state.checkpoint <= head else {
            throw AnnalsError.projectionUnavailable(
                name: name,
                reason: ProjectionMaintenancePlan.outdatedReason(state, entry.projection, head: head) + "; "
                    + ProjectionMaintenancePlan.rebuildAdvice(name))
        }
        guard state.checkpoint == head else {
            // Another process appended without this projection: `readingLiveViews` catches the view up.
            throw ViewLeftBehind(view: LaggingView(name: name, checkpoint: state.checkpoint), head: head)
        }
        return projections.tables(entry, slot: state.slot, txn)
    }

    /// The thing `id` in the live view, or `nil`.
    public func thing(_ id: String) throws(AnnalsError) -> Thing? { try read { try $0.thing(id) } }

    /// The things that match `filter` in the live view.
    public func things(_ filter: ThingFilter = ThingFilter()) throws(AnnalsError) -> [Thing] {
        try read { try $0.things(filter) }
    }

    /// The connections that match `filter` in the live view.
    public func connections(_ filter: ConnectionFilter = ConnectionFilter()) throws(AnnalsError) -> [Connection] {
        try read { try $0.connections(filter) }
    }

    /// The neighbourhood of `id` in the live view (see ``OntologyView/neighbourhood(of:depth:direction:types:limit:)``).
    public func neighbourhood(
        of id: String, depth: Int = 1, direction: TraversalDirection = .both, types: Set<String> = []
    ) throws(AnnalsError) -> Neighbourhood {
        try read { try $0.neighbourhood(of: id, depth: depth, direction: direction, types: types) }
    }

    /// The knowledge items that match `filter` in the live view.
    public func knowledge(_ filter: KnowledgeFilter = KnowledgeFilter()) throws(AnnalsError) -> [KnowledgeItem] {
        try read { try $0.knowledge(filter) }
    }

    /// Rebuilds the named projections (all registered ones when `names` is `nil`, a name given twice once) from the
    /// log into fresh tables, while readers keep the old view, and swaps them in atomically. Resumes an interrupted
    /// rebuild.
    ///
    /// The commit that swaps a rebuilt view in also deletes every snapshot a read would take that projection's
    /// tables from (one holding them at its current version and configuration): a snapshot is a copy of the view the
    /// rebuild replaced, and a rebuild is what repairs a damaged view, whose damage ``state(at:)`` would otherwise
    /// return and a rollback append, with or without `verify`. ``RebuildResult/droppedSnapshots`` lists them;
    /// ``createSnapshot()`` takes a new one from the rebuilt view. (The rebuild at open of a view built by another
    /// version or configuration deletes none: reads never take that projection's tables from those snapshots.)
    ///
    /// - Parameters:
    ///   - verify: Also compute a digest of the rebuilt and the current view and list their differences.
    ///   - progress: Called after each committed chunk.
    /// - Throws: ``AnnalsError/projectionUnavailable(name:reason:)`` for an unknown name or a concurrent rebuild.
    public func rebuild(
        _ names: [String]? = nil, verify: Bool = false, progress: ((RebuildProgressReport) -> Void)? = nil
    ) throws(AnnalsError) -> [RebuildResult] {
        do {
            return try ProjectionRebuilder(store: self, kind: .rebuild).run(
                names ?? projections.entries.map(\.name), verify: verify, progress: progress)
        } catch {
            throw AnnalsError(error)
        }
    }
}
