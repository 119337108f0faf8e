import LMDB

extension EventStore {
    /// The damaged pages among those ``checkedHead()`` reads, found without following any: the path to the last
    /// record, `meta` and `dictionaries`, then the records since the checkpoint before the head. Empty when they are
    /// sound. (Damage among the records before that checkpoint only leaves its hash unconfirmed.)
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

extension EventStore {
    /// Whether the chain's hash at `offset`, as a verification computes it, goes on from a checkpoint before it whose
    /// stored hash is not the one its record and the records before it give. The verification pins that damage to
    /// the checkpoint and links the records after it from the stored hash, so the hash it reaches at `offset` rests
    /// on a damaged record: not one to anchor a report to. `false` when that cannot be told (a record on the way
    /// does not read, or a page there is damaged).
    /// - Throws: ``AnnalsError/storage(_:)`` when LMDB fails.
    func chainRestsOnChangedCheckpoint(at offset: UInt64) throws(AnnalsError) -> Bool {
        let checkpoint = RecordHeader.checkpoint(atOrBefore: offset)
        guard checkpoint > 0, checkpoint < offset else { return false }
        guard case .differs = try checkedCheckpointHash(at: checkpoint) else { return false }
        return true
    }
}
