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
    /// Why time travel cannot use it (its header cannot be read or fails its own CRC-32C, or its contents fail theirs
    /// or do not match the header), or `nil` when both check out. A snapshot whose header is damaged is listed with
    /// its offset and stored size only (`createdAt` and `bodyBytes` 0); one whose contents are damaged with what its
    /// header says. Time travel skips either. (The header of a snapshot stored before format 4 has no CRC-32C of its
    /// own: its creation time cannot be checked.)
    public var damage: String?

    init(offset: UInt64, createdAt: Int64, storedBytes: Int, bodyBytes: UInt64, damage: String? = nil) {
        self.offset = offset
        self.createdAt = createdAt
        self.storedBytes = storedBytes
        self.bodyBytes = bodyBytes
        self.damage = damage
    }

    /// What a stored snapshot's header says.
    init(_ header: SnapshotFormat.Header) {
        self.init(
            offset: header.offset, createdAt: header.createdAt, storedBytes: header.storedLength,
            bodyBytes: header.bodyLength)
    }
}

extension EventStore {
    /// Takes a snapshot of every registered projection at the current head and stores it, compressed and with a
    /// CRC-32C of its content, in the store. A snapshot at the same offset is kept as it is, unless reads could not
    /// use it (it fails its checks, or holds other versions of the projections): then it is replaced.
    ///
    /// A rebuild that swaps a new view in while the snapshot is being taken deletes the snapshots of the view it
    /// replaces (``rebuild(_:verify:progress:)``), so the snapshot read from that view is not stored either: it is
    /// taken again from the new view, up to ``snapshotAttempts`` times in all.
    /// - Throws: ``AnnalsError/projectionUnavailable(name:reason:)`` when a projection is not up to date, or was
    ///   rebuilt during every attempt (nothing is stored then); ``AnnalsError/invalidArgument(_:)`` on a read-only
    ///   store or an empty log.
    @discardableResult
    public func createSnapshot() throws(AnnalsError) -> SnapshotInfo {
        try createSnapshot(unlessOneWithin: nil)!
    }

    /// ``createSnapshot()``, except that with an `interval` (automatic snapshots) nothing is stored when the newest
    /// snapshot, checked in the transaction that would store this one, is at another offset less than `interval`
    /// events before it or after it: one another process appending to the store took meanwhile.
    /// - Returns: The snapshot, or `nil` when another one made it unnecessary.
    ///
    /// A rebuild that swaps a new view in between the read that encodes the snapshot and the write that stores it
    /// deleted the snapshots of the view it replaced (``dropSnapshots(readingTablesOf:_:)``): this one, taken from that
    /// view too, is then not stored either, and the snapshot is taken again from the new view, up to
    /// ``snapshotAttempts`` times in all.
    /// - Parameters:
    ///   - format: ``SnapshotFormat/version``, or an older one to test that such snapshots are still read.
    ///   - afterEncoding: Called between the read and the write of each attempt (with its number, from 1), for tests
    ///     to change the store meanwhile.
    /// - Throws: ``AnnalsError/projectionUnavailable(name:reason:)`` when a rebuild swapped a view in during every
    ///   attempt.
    func createSnapshot(
        unlessOneWithin interval: UInt64?, format: UInt8 = SnapshotFormat.version,
        afterEncoding: ((Int) throws -> Void)? = nil
    ) throws(AnnalsError) -> SnapshotInfo? {
        var attempt = 1
        while true {
            let hook = afterEncoding.map { hook in { [attempt] in try hook(attempt) } }
            switch try snapshotAttempt(unlessOneWithin: interval, format: format, afterEncoding: hook) {
            case .stored(let info): return info
            case .unnecessary: return nil
            case .viewSwapped(let name):
                guard attempt < Self.snapshotAttempts else {
                    throw .projectionUnavailable(
                        name: name,
                        reason: "a rebuild swapped a new view in while each of \(attempt) snapshots was being taken "
                            + "from the view before it, and deleted the snapshots of that view; none was stored: "
                            + "take it again")
                }
                attempt += 1
            }
        }
    }

    /// How many times ``createSnapshot()`` reads the views when rebuilds keep swapping new ones in meanwhile.
    static let snapshotAttempts = 3

    /// What one attempt at a snapshot did.
    private enum SnapshotAttempt {
        /// The snapshot stored (or the one kept at its offset).
        case stored(SnapshotInfo)
        /// None was needed: another one is within the automatic interval.
        case unnecessary
        /// A rebuild swapped a new view of this projection in while it was taken: nothing was stored.
        case viewSwapped(String)
    }

    /// One read of the views and one write storing their snapshot, unless a rebuild swapped a view in between.
    private func snapshotAttempt(
        unlessOneWithin interval: UInt64?, format: UInt8, afterEncoding: (() throws -> Void)?
    ) throws(AnnalsError) -> SnapshotAttempt {
        guard let database = projections.snapshots, !options.readOnly else {
            throw .invalidArgument("snapshots need a writable store")
        }
        do {
            let (offset, stored, generations) = try readingLiveViews {
                try environment.read { txn in
                    let head = try txn.lastOffset(schema)
                    guard head > 0 else { throw AnnalsError.invalidArgument("the log is empty: nothing to snapshot") }
                    let handle = txn.handle
                    var parts: [(projection: any Projection, tables: any ProjectionReader)] = []
                    var generations: [String: UInt64] = [:]
                    for entry in projections.entries where entry.isAvailable {
                        parts.append((entry.projection, try liveTables(entry.name, head: head, handle)))
                        generations[entry.name] = try projections.generation(entry.name, handle)
                    }
                    return (
                        head,
                        try SnapshotFormat.encode(
                            parts, offset: head, createdAt: currentTimeMilliseconds(), level: options.compressionLevel,
                            format: format),
                        generations
                    )
                }
            }
            try afterEncoding?()
            // The snapshot already stored at this offset, if any, is kept and reported, unless reads cannot use it:
            // a damaged one, or one of other versions of the projections (taken before an upgrade), is replaced;
            // every read would skip it, and nothing else replaces it.
            let current = projections.availableProjections
            return try writeReturning { txn -> SnapshotAttempt in
                for (name, generation) in generations.sorted(by: { $0.key < $1.key }) {
                    guard try self.projections.generation(name, txn.handle) != generation else { continue }
                    return .viewSwapped(name)
                }
                let key = offset.bigEndianBytes
                if let interval {
                    let newest = try self.newestUsableSnapshot(in: txn.handle)
                    // Without overflow: a damaged key may be near 2^64.
                    if let newest, newest != offset, newest > offset || offset - newest < interval {
                        return .unnecessary
                    }
                }
                if let existing = try txn.get(database, key: key) {
                    let usable = existing.withUnsafeBytes { bytes in
                        (try? SnapshotFormat.directory(bytes, key: offset))?.holdsAll(current) ?? false
                    }
                    if usable { return .stored(try Self.info(of: existing, at: offset)) }
                }
                try txn.put(database, key: key, value: stored)
                return .stored(try Self.info(of: stored, at: offset))
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// The header of the snapshot `bytes` stored at `offset`.
    private static func info(of bytes: [UInt8], at offset: UInt64) throws -> SnapshotInfo {
        SnapshotInfo(try bytes.withUnsafeBytes { try SnapshotFormat.header($0, key: offset) })
    }

    /// The stored snapshots, oldest first, from their headers, each checked as time travel checks one it loads, short
    /// of decompressing it: its header against its own CRC-32C, its contents against theirs (hardware CRC-32C reads
    /// about 10 GB/s), its directory, and the header's body length against the tables' total. A damaged snapshot is
    /// listed too, with ``SnapshotInfo/damage`` saying why. Each is checked in a short read transaction of its own, so
    /// a listing of many large snapshots holds back no page that writers free meanwhile for longer than one check;
    /// a snapshot deleted meanwhile is not listed.
    public func snapshots() throws(AnnalsError) -> [SnapshotInfo] {
        try storedSnapshots().map(\.info)
    }

    /// Deletes snapshots: all but the newest `keepLatest` intact ones (when given) and all before offset `before`
    /// (when given). A damaged snapshot (``SnapshotInfo/damage``), which time travel skips, does not count as one
    /// kept: `keepLatest` keeps that many usable snapshots, and deletes the damaged ones with the rest.
    /// - Returns: The deleted snapshots.
    @discardableResult
    public func pruneSnapshots(keepLatest: Int? = nil, before: UInt64? = nil) throws(AnnalsError) -> [SnapshotInfo] {
        try pruneSnapshots(keepLatest: keepLatest, before: before, beforeDeleting: nil)
    }

    /// ``pruneSnapshots(keepLatest:before:)``. The snapshots are checked outside the write transaction (see
    /// ``storedSnapshots(beforeChecking:)``), so one may have been replaced at the same offset meanwhile (a damaged
    /// one, by ``createSnapshot()``): it is deleted only if it is still the one checked (same size and leading
    /// bytes, which hold its creation time), and a replacement is kept and not reported. `beforeDeleting`, called
    /// between the checks and the write transaction, lets tests change the store meanwhile.
    func pruneSnapshots(
        keepLatest: Int?, before: UInt64?, beforeDeleting: (() throws -> Void)?
    ) throws(AnnalsError) -> [SnapshotInfo] {
        guard let database = projections.snapshots, !options.readOnly else {
            throw .invalidArgument("pruning snapshots needs a writable store")
        }
        if let keepLatest, keepLatest < 0 { throw .invalidArgument("keep \(keepLatest) is negative") }
        let stored = try storedSnapshots()
        var doomed = Set<UInt64>()
        if let keepLatest {
            let kept = Set(stored.filter { $0.info.damage == nil }.suffix(keepLatest).map(\.offset))
            doomed.formUnion(stored.map(\.offset).filter { !kept.contains($0) })
        }
        if let before { doomed.formUnion(stored.map(\.offset).filter { $0 < before }) }
        var deleted = Set<UInt64>()
        do {
            try beforeDeleting?()
            try write { txn in
                for snapshot in stored where doomed.contains(snapshot.offset) {
                    let key = snapshot.offset.bigEndianBytes
                    guard let current = try txn.get(database, key: key),
                        SnapshotFingerprint(current) == snapshot.fingerprint
                    else { continue }
                    try txn.delete(database, key: key)
                    deleted.insert(snapshot.offset)
                }
            }
        } catch {
            throw AnnalsError(error)
        }
        if !deleted.isEmpty { noteSnapshotsDeleted() }
        return stored.filter { deleted.contains($0.offset) }.map(\.info)
    }

    /// What the header of the snapshot `stored` at `offset` says, or its damage: a damaged header, or contents that
    /// fail their CRC-32C or do not match the header.
    private static func snapshotInfo(_ stored: UnsafeRawBufferPointer, at offset: UInt64) -> SnapshotInfo {
        // Both checks throw only corruptSnapshot; its reason is the damage.
        func reason(_ error: AnnalsError) -> String {
            if case .corruptSnapshot(_, let why) = error { return why }
            return error.description
        }
        var info: SnapshotInfo
        do {
            info = SnapshotInfo(try SnapshotFormat.header(stored, key: offset))
        } catch {
            return SnapshotInfo(
                offset: offset, createdAt: 0, storedBytes: stored.count, bodyBytes: 0, damage: reason(error))
        }
        do {
            // The checks time travel makes when it loads one, without copying or decompressing the frames.
            _ = try SnapshotFormat.directory(stored, key: offset)
        } catch {
            info.damage = reason(error)
        }
        return info
    }

    /// The offsets of the stored snapshots, including damaged ones, oldest first.
    /// (Their contents are not checked here: time travel checks the one it loads.)
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

    /// Every stored snapshot's offset and what its header says (or why it cannot be read, or why its contents fail
    /// their checks), oldest first.
    ///
    /// Each snapshot is checked in a read transaction of its own: checking gigabytes of snapshots in one would pin
    /// the pages every commit meanwhile frees, and grow the file. A snapshot deleted between the listing of the
    /// offsets and its check is left out. `beforeChecking`, called with each offset outside any transaction, lets
    /// tests change the store meanwhile.
    func storedSnapshots(
        beforeChecking: ((UInt64) throws -> Void)? = nil
    ) throws(AnnalsError) -> [(offset: UInt64, info: SnapshotInfo, fingerprint: SnapshotFingerprint)] {
        guard let database = projections.snapshots else { return [] }
        var stored: [(offset: UInt64, info: SnapshotInfo, fingerprint: SnapshotFingerprint)] = []
        do {
            for offset in try snapshotKeys() {
                try beforeChecking?(offset)
                let checked = try environment.read { txn in
                    try offset.bigEndianBytes.withUnsafeBytes { key in
                        try txn.handle.withValue(database, key: key) { value in
                            value.map { (Self.snapshotInfo($0, at: offset), SnapshotFingerprint($0)) }
                        }
                    }
                }
                if let (info, fingerprint) = checked { stored.append((offset, info, fingerprint)) }
            }
        } catch {
            throw AnnalsError(error)
        }
        return stored
    }
}

/// What tells one stored snapshot from another stored later at the same offset, short of reading it all: its size
/// and its first bytes, whose header holds the creation time in milliseconds.
struct SnapshotFingerprint: Equatable {
    let size: Int
    let leadingBytes: [UInt8]

    init(_ stored: UnsafeRawBufferPointer) {
        size = stored.count
        leadingBytes = Array(stored.prefix(64))
    }

    init(_ stored: [UInt8]) {
        self = stored.withUnsafeBytes { SnapshotFingerprint($0) }
    }
}
