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
        var names: [String] = []
        for projection in projections {
            let tableNames = self.projections.entry(projection)?.projection.tableNames ?? []
            for (table, database) in zip(tableNames, try currentTables(of: projection))
            where tables?.contains(table) ?? true {
                names.append(database.name)
            }
        }
        try requireViewPages(names, ranges: [:], of: projections)
    }

    /// Checks the pages that looking up the record `id` in the live view of `projection` follows: where the key lies
    /// in the view's first table (things, connections or knowledge items by id), with the `projections` database and
    /// the path to the log's head.
    /// - Throws: As ``checkViewPages(of:tables:)``.
    public func checkViewPages(of projection: String, id: String) throws(AnnalsError) {
        guard let records = try currentTables(of: projection).first else { return }
        let key = Array(id.utf8)
        try requireViewPages([records.name], ranges: [records.name: [KeyRange(key, through: key)]], of: [projection])
    }

    /// The tables of the slot readers use of `projection`, found through checked pages.
    private func currentTables(of projection: String) throws(AnnalsError) -> [Database] {
        let unbuilt = AnnalsError.projectionUnavailable(
            name: projection, reason: "it has not been built yet; open the store writable or run 'annals rebuild'")
        guard let entry = self.projections.entry(projection) else {
            throw .projectionUnavailable(name: projection, reason: "it is not registered in this store's options")
        }
        guard entry.isAvailable, let states = self.projections.states else { throw unbuilt }
        try requireSoundPages(
            of: [states.name], operation: "checkViewPages", "the pages of the projections database are damaged",
            advice: "restore the store from a backup")
        do {
            guard let state = try environment.read({ txn in try self.projections.state(projection, txn.handle) }) else {
                throw unbuilt
            }
            return entry.slots[Int(state.slot)]
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
