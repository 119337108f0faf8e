import LMDB

extension EventStore {
    /// How many of the newest snapshots ``newestUsableSnapshot(in:)`` looks at before it answers that none is usable.
    static let newestSnapshotsLookedAt = 64

    /// The offset of the newest snapshot reads could start from, read in `handle`: one whose directory can be read and
    /// holds every registered projection at its current version and configuration. A damaged one, or one taken
    /// before a projection was upgraded, is passed over: counted as the newest, it would hold back the automatic
    /// snapshots for an interval while every `state` and rollback replays from an older one (or from the start).
    /// Only the directories are read (no CRC-32C of the contents), newest first, at most
    /// ``newestSnapshotsLookedAt`` of them; `nil` when none of them is usable.
    func newestUsableSnapshot(in handle: TransactionHandle) throws -> UInt64? {
        guard let database = projections.snapshots else { return nil }
        let current = projections.availableProjections
        return try handle.withCursor(database) { cursor -> UInt64? in
            var entry = try cursor.get(.last)
            var looked = 0
            while let stored = entry, looked < Self.newestSnapshotsLookedAt {
                looked += 1
                entry = try cursor.get(.previous)
                guard stored.key.count == 8 else { continue }
                let offset = UInt64(bigEndianBytes: stored.key)
                guard let directory = try? SnapshotFormat.directory(stored.value, key: offset, checkingContents: false)
                else { continue }
                if directory.holdsAll(current) { return offset }
            }
            return nil
        }
    }

    /// ``newestUsableSnapshot(in:)`` in a read transaction of its own.
    func newestUsableSnapshot() throws(AnnalsError) -> UInt64? {
        do {
            return try environment.read { txn in try newestUsableSnapshot(in: txn.handle) }
        } catch {
            throw AnnalsError(error)
        }
    }
}
