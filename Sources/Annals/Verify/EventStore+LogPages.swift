import LMDB

extension EventStore {
    /// Checks that every page of the log's databases (records, dictionaries, indexes, ids, streams, cursors and
    /// `meta`) can be followed, without following any (``Environment/checkStructure(of:includingLeaves:)``).
    ///
    /// LMDB trusts its pages: reading a store whose B-tree pages are damaged can crash the process.
    /// ``verify(from:to:anchor:progress:)``, rebuilds and ``backup(to:)`` check the pages they read themselves; call
    /// this before other reads of a store that may be damaged, as `annals replay` does. Writers may continue
    /// meanwhile.
    /// - Throws: ``AnnalsError/storage(_:)`` with `LMDBError.Code.corrupted`, naming the first damaged page.
    public func checkLogPages() throws(AnnalsError) {
        try requireSoundPages(
            of: schema.allDatabases.map(\.name), operation: "checkLogPages", "the log's pages are damaged",
            advice: "restore the store from a backup")
    }

    /// Throws ``AnnalsError/storage(_:)`` (`LMDBError.Code.corrupted`, as `operation`) when a page of the databases
    /// `names` (every one when `nil`) is damaged: `what`, the first problem and how many more, then `advice`.
    /// Without `includingLeaves`, only what clearing the databases follows is checked.
    func requireSoundPages(
        of names: [String]?, includingLeaves: Bool = true, operation: String, _ what: String, advice: String? = nil
    ) throws(AnnalsError) {
        let problems: [StructureProblem]
        do {
            problems = try environment.checkStructure(of: names, includingLeaves: includingLeaves)
        } catch {
            throw .storage(error)
        }
        guard let summary = StructureProblem.summary(of: problems) else { return }
        throw .storage(
            LMDBError(
                code: .corrupted, operation: operation,
                detail: "\(what): \(summary)" + (advice.map { "; " + $0 } ?? "")))
    }
}
