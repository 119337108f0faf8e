import LMDB

extension EventStore {
    /// The damaged pages among those ``checkedHead()`` reads, found without following any: the path to the last
    /// record, `meta` and `dictionaries`, then the records since the checkpoint before the head. Empty when they are
    /// sound.
    ///
    /// For a caller that must report such damage rather than throw it (the audit), and must not read through it.
    /// - Throws: ``AnnalsError/storage(_:)`` when the walk itself fails.
    func headPageDamage() throws(AnnalsError) -> [StructureProblem] {
        let names = schema.recordDatabases.map(\.name)
        do {
            let path = try environment.checkStructure(of: names, limitingTo: logRanges([]))
            guard path.isEmpty else { return path }
            // The path to the last record is sound: its key can be read.
            let last = try environment.read { txn in try txn.lastOffset(schema) }
            return try environment.checkStructure(
                of: names, limitingTo: logRanges([RecordHeader.checkpoint(atOrBefore: last)...last]))
        } catch {
            throw AnnalsError(error)
        }
    }
}
