import LMDB

extension EventStore {
    /// Checks every page of the live views of `projections` (such as `things`), as ``read(_:)`` and the queries of
    /// the views may follow them: each table of the slot readers use (only those named in `tables`, when given, such
    /// as a projection's ``Projection/snapshotTableNames``, the tables its queries read), the `projections` database
    /// that names the slot, and the path to the log's head that finding the views' offset follows.
    ///
    /// LMDB trusts its pages, so a query over a damaged page can crash the process. Call this before querying a
    /// store that may be damaged, as the `annals` commands that query the views do; its cost is a read of every page
    /// of those views (tens of milliseconds for a million-event ontology). ``checkViewPages(of:id:)`` checks only
    /// what looking one record up by id follows.
    /// - Throws: ``AnnalsError/storage(_:)`` with `LMDBError.Code.corrupted`, naming the first damaged page (a
    ///   rebuild of the view replaces it); ``AnnalsError/projectionUnavailable(name:reason:)`` for a projection that
    ///   is not registered or not built.
    public func checkViewPages(of projections: [String], tables: [String]? = nil) throws(AnnalsError) {
        let names = try currentTables(of: projections).filter { tables?.contains($0.table) ?? true }.map(
            \.database.name)
        try requireViewPages(names, ranges: [:], of: projections)
    }

    /// Checks the pages that looking up the record `id` in the live view of `projection` follows: where the key lies
    /// in the view's first table (things, connections or knowledge items by id), with the `projections` database and
    /// the path to the log's head.
    /// - Throws: As ``checkViewPages(of:tables:)``.
    public func checkViewPages(of projection: String, id: String) throws(AnnalsError) {
        guard let records = try currentTables(of: [projection]).first?.database else { return }
        let key = Array(id.utf8)
        try requireViewPages([records.name], ranges: [records.name: [KeyRange(key, through: key)]], of: [projection])
    }

    /// The tables of the slots readers use of `projections`, each with its table name, found through checked pages of
    /// the `projections` database.
    private func currentTables(of projections: [String]) throws(AnnalsError) -> [(table: String, database: Database)] {
        let entries = try projections.map { name throws(AnnalsError) in
            guard let entry = self.projections.entry(name) else {
                throw .projectionUnavailable(name: name, reason: ProjectionCatalog.unregisteredReason)
            }
            guard entry.isAvailable else {
                throw .projectionUnavailable(name: name, reason: ProjectionCatalog.unbuiltReason)
            }
            return entry
        }
        guard let states = self.projections.states else { return [] }
        try requireSoundPages(
            of: [states.name], operation: "checkViewPages", "the pages of the projections database are damaged",
            advice: Self.logDamageAdvice)
        do {
            return try environment.read { txn in
                try entries.flatMap { entry in
                    guard let state = try self.projections.state(entry.name, txn.handle) else {
                        throw AnnalsError.projectionUnavailable(
                            name: entry.name, reason: ProjectionCatalog.unbuiltReason)
                    }
                    return zip(entry.projection.tableNames, entry.slots[Int(state.slot)]).map { ($0, $1) }
                }
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// ``requireSoundPages(of:includingLeaves:ranges:operation:_:advice:)`` for the view tables `names` (walked
    /// where `ranges` says, else whole), advising a rebuild of `projections`, after the path to the log's head
    /// (``checkLogPages(offsets:)``).
    private func requireViewPages(_ names: [String], ranges: [String: [KeyRange]], of projections: [String])
        throws(AnnalsError)
    {
        try checkLogPages(offsets: [])
        try requireSoundPages(
            of: names, ranges: ranges, operation: "checkViewPages",
            "the pages of the \(Self.naturalList(projections)) \(projections.count == 1 ? "view" : "views") are damaged",
            advice: "run 'annals rebuild \(projections.joined(separator: " "))' to replace the view")
    }

    /// `["a", "b", "c"]` as `a, b and c`.
    static func naturalList(_ items: [String]) -> String {
        guard let last = items.last, items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + last
    }
}
