import LMDB

extension EventStore {
    /// Deletes, in the write transaction `handle` of a rebuild's swap, every snapshot a read would take the tables of
    /// one of `rebuilt` from: one whose directory holds that projection at its current version and configuration
    /// (``SnapshotFormat/Directory/Entry/matches(_:)``). Such a snapshot is a copy of the view the rebuild replaced,
    /// and a rebuild is what repairs a damaged view: `state` would print the damage and a rollback would append it.
    /// The swap passes only the projections whose replaced view was built at their current version and configuration
    /// (the snapshots of a view of another version never match; those that do are of an earlier view, and are kept).
    ///
    /// Only the directories are read, not the contents' CRC-32C, so that appends do not wait for gigabytes to be
    /// checked. A snapshot whose header or directory cannot be read is kept: time travel never uses it, and
    /// `snapshot list` reports it. One holding another version of a projection is kept too: reads never take that
    /// projection's tables from it.
    /// - Returns: Per rebuilt projection, the offsets deleted that held it, oldest first.
    func dropSnapshots(
        readingTablesOf rebuilt: [any Projection], _ handle: TransactionHandle
    ) throws -> [String: [UInt64]] {
        guard let database = projections.snapshots, !rebuilt.isEmpty else { return [:] }
        var doomed: [UInt64] = []
        var held: [String: [UInt64]] = [:]
        try handle.withCursor(database) { cursor in
            var entry = try cursor.get(.first)
            while let current = entry {
                entry = try cursor.get(.next)
                guard current.key.count == 8 else { continue }
                let offset = UInt64(bigEndianBytes: current.key)
                guard
                    let directory = try? SnapshotFormat.directory(
                        current.value, key: offset, checkingContents: false)
                else { continue }
                let holding = rebuilt.filter(directory.holds)
                guard !holding.isEmpty else { continue }
                doomed.append(offset)
                for projection in holding { held[projection.name, default: []].append(offset) }
            }
        }
        for offset in doomed { _ = try offset.bigEndianBytes.withUnsafeBytes { try handle.delete(database, key: $0) } }
        if !doomed.isEmpty { noteSnapshotsDeleted() }
        return held
    }
}
