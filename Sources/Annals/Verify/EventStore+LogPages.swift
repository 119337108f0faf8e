import LMDB

extension EventStore {
    /// Checks that every page of the log's databases (records, dictionaries, indexes, ids, streams, cursors and
    /// `meta`) can be followed, without following any (``Environment/checkStructure(of:includingLeaves:)``).
    ///
    /// LMDB trusts its pages: reading a store whose B-tree pages are damaged can crash the process. ``verify(from:to:anchor:progress:)``
    /// and rebuilds check the pages they read themselves; call this before other reads of a store that may be
    /// damaged, as `annals replay` does. Writers may continue meanwhile.
    /// - Throws: ``AnnalsError/storage(_:)`` with `LMDBError.Code.corrupted`, naming the first damaged page.
    public func checkLogPages() throws(AnnalsError) {
        let problems: [StructureProblem]
        do {
            problems = try environment.checkStructure(of: schema.allDatabases.map(\.name))
        } catch {
            throw .storage(error)
        }
        guard let summary = StructureProblem.summary(of: problems) else { return }
        throw .storage(
            LMDBError(
                code: .corrupted, operation: "checkLogPages",
                detail: "the log's pages are damaged: \(summary); restore the store from a backup"))
    }
}
