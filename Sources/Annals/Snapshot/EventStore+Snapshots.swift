import Foundation
import LMDB

/// A stored snapshot of the projections' tables.
public struct SnapshotInfo: Sendable, Hashable {
    /// The log offset the snapshot reflects.
    public var offset: UInt64
    /// When it was taken (milliseconds since 1970).
    public var createdAt: Int64
    /// Its stored (compressed) size in bytes.
    public var storedBytes: Int
    /// Its uncompressed size in bytes.
    public var bodyBytes: UInt64
}

extension EventStore {
    /// Takes a snapshot of every registered projection at the current head and stores it, compressed and with a
    /// CRC-32C of its content, in the store. A snapshot at the same offset is kept as it is.
    ///
    /// - Throws: ``AnnalsError/projectionUnavailable(name:reason:)`` when a projection is not up to date,
    ///   ``AnnalsError/invalidArgument(_:)`` on a read-only store or an empty log.
    @discardableResult
    public func createSnapshot() throws(AnnalsError) -> SnapshotInfo {
        guard let database = projections.snapshots, !options.readOnly else {
            throw .invalidArgument("snapshots need a writable store")
        }
        do {
            let (offset, stored) = try environment.read { txn in
                let head = try txn.logHead(schema).offset
                guard head > 0 else { throw AnnalsError.invalidArgument("the log is empty: nothing to snapshot") }
                let handle = txn.handle
                var parts: [(projection: any Projection, tables: any ProjectionReader)] = []
                for entry in projections.entries where entry.isAvailable {
                    parts.append((entry.projection, try liveTables(entry.name, head: head, handle)))
                }
                return (
                    head,
                    try SnapshotFormat.encode(
                        parts, offset: head, createdAt: currentTimeMilliseconds(), level: options.compressionLevel)
                )
            }
            try write { txn in
                do {
                    try txn.put(database, key: offset.bigEndianBytes, value: stored, flags: .noOverwrite)
                } catch let error as LMDBError where error.code == .keyExists {
                    return
                }
            }
            return try snapshots().first { $0.offset == offset }!
        } catch {
            throw AnnalsError(error)
        }
    }

    /// The stored snapshots, oldest first (from their headers; contents are checked when loaded).
    public func snapshots() throws(AnnalsError) -> [SnapshotInfo] {
        guard let database = projections.snapshots else { return [] }
        do {
            return try environment.read { txn in
                var infos: [SnapshotInfo] = []
                try txn.withCursor(database) { cursor in
                    var entry = try cursor.get(.first)
                    while let current = entry {
                        let offset = current.key.count == 8 ? UInt64(bigEndianBytes: current.key) : 0
                        let header = try SnapshotFormat.header(current.value, key: offset)
                        infos.append(
                            SnapshotInfo(
                                offset: offset, createdAt: header.createdAt, storedBytes: header.storedLength,
                                bodyBytes: header.bodyLength))
                        entry = try cursor.get(.next)
                    }
                }
                return infos
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// Deletes snapshots: all but the newest `keepLatest` (when given) and all before offset `before` (when given).
    /// - Returns: The deleted snapshots.
    @discardableResult
    public func pruneSnapshots(keepLatest: Int? = nil, before: UInt64? = nil) throws(AnnalsError) -> [SnapshotInfo] {
        guard let database = projections.snapshots, !options.readOnly else {
            throw .invalidArgument("pruning snapshots needs a writable store")
        }
        if let keepLatest, keepLatest < 0 { throw .invalidArgument("keep \(keepLatest) is negative") }
        let all = try snapshotKeys()
        var doomed = Set<UInt64>()
        if let keepLatest { doomed.formUnion(all.dropLast(keepLatest)) }
        if let before { doomed.formUnion(all.filter { $0 < before }) }
        let listed = (try? snapshots()) ?? []
        do {
            try write { txn in
                for offset in doomed { try txn.delete(database, key: offset.bigEndianBytes) }
            }
        } catch {
            throw AnnalsError(error)
        }
        return doomed.sorted().map { offset in
            listed.first { $0.offset == offset }
                ?? SnapshotInfo(offset: offset, createdAt: 0, storedBytes: 0, bodyBytes: 0)
        }
    }

    /// The offsets of the stored snapshots, including damaged ones, oldest first.
    func snapshotKeys() throws(AnnalsError) -> [UInt64] {
        guard let database = projections.snapshots else { return [] }
        do {
            return try environment.read { txn in
                var keys: [UInt64] = []
                try txn.withCursor(database) { cursor in
                    var entry = try cursor.get(.first)
                    while let current = entry {
                        if current.key.count == 8 { keys.append(UInt64(bigEndianBytes: current.key)) }
                        entry = try cursor.get(.next)
                    }
                }
                return keys
            }
        } catch {
            throw AnnalsError(error)
        }
    }

}
