import Foundation
import LMDB

/// Everything the engine can fail with. Each case says what was wrong and where.
public enum AnnalsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An event in a batch is invalid; nothing of the batch was written.
    /// - `index`: the event's position in the batch, from 0. `field`: the envelope field, such as `type`.
    case invalidEvent(index: Int, field: String, reason: String)
    /// The encoded event is larger than ``StoreOptions/maximumEventSize``; nothing of the batch was written.
    case eventTooLarge(index: Int, size: Int, limit: Int)
    /// `expectedVersion` did not match the target stream's current version; nothing of the batch was written.
    case versionConflict(index: Int, targetId: String, expected: UInt64, actual: UInt64)
    /// A batch computed from the state at offset `plannedAt` (a rollback's compensating events) was not appended:
    /// the event at `offset`, appended since, changed what it was computed from. Nothing of the batch was written;
    /// computing it again from the new state resolves it.
    case conflictingAppend(offset: UInt64, plannedAt: UInt64)
    /// A conditional acknowledgement (``EventStore/acknowledge(_:through:expectingResets:)``) found cursor `name`
    /// reset (now at `offset`) or deleted (`offset` is `nil`) since its consumer read it: someone else moved it.
    /// Nothing was acknowledged.
    case cursorMoved(name: String, offset: UInt64?)
    /// A projection refused an event that contradicts the current state (such as connecting a thing that does not
    /// exist); nothing of the batch was written.
    case rejectedEvent(index: Int, type: String, projection: String, reason: String)
    /// A rollback's target `offset` lies inside `batch`, the offsets of the compensating events an earlier rollback
    /// appended as one atomic batch: the state at `offset` (half of that batch applied) never existed. Rolling back to
    /// the offset before the batch or to its last offset is sound. Nothing was planned or appended.
    case rollbackTargetInsideBatch(offset: UInt64, batch: ClosedRange<UInt64>)
    /// A rollback's planner refused its compensating event at batch `index` (of `type`), for `reason`: a restore that
    /// would take over an entity outside the rollback's scope (one whose id now names an entity elsewhere). No
    /// projection was asked; nothing was appended.
    case rollbackRefused(index: Int, type: String, reason: String)
    /// A projection's view cannot answer: it is not registered, not built yet, outdated or behind the log.
    case projectionUnavailable(name: String, reason: String)
    /// A snapshot failed its checks; it is skipped in favour of an older one or a full replay.
    case corruptSnapshot(offset: UInt64, reason: String)
    /// A stored record failed its checks (header, CRC-32C, decompression or envelope).
    case corruptRecord(offset: UInt64, reason: String)
    /// The store's on-disk format is not one this version reads.
    case unsupportedFormat(String)
    /// No store exists at the path (and creation was not requested).
    case storeNotFound(path: String)
    /// A zstd call failed.
    case compression(String)
    /// An LMDB call failed (map full past its maximum, disk full, I/O error, …).
    case storage(LMDBError)
    /// A file-system operation outside LMDB failed (the watermark file, a directory).
    case io(String)
    /// The store was closed.
    case closed
    /// An argument was out of range, such as an offset of 0.
    case invalidArgument(String)

    /// A message that names what is wrong and where.
    public var description: String {
        switch self {
        case .invalidEvent(let index, let field, let reason):
            "invalid event at batch index \(index): field '\(field)' \(reason)"
        case .eventTooLarge(let index, let size, let limit):
            "invalid event at batch index \(index): encoded size \(size) bytes exceeds the limit of \(limit) bytes"
        case .versionConflict(let index, let target, let expected, let actual):
            "version conflict at batch index \(index) on target '\(target)': expected version \(expected), "
                + "actual version \(actual)"
        case .conflictingAppend(let offset, let plannedAt):
            "the batch was computed from the state at offset \(plannedAt), and the event at offset \(offset), "
                + "appended since, changed that state; nothing of the batch was written"
        case .cursorMoved(let name, let offset):
            "cursor '\(name)' was " + (offset.map { "reset (it is at offset \($0) now)" } ?? "deleted")
                + " by someone else since its consumer read it; nothing was acknowledged"
        case .rejectedEvent(let index, let type, let projection, let reason):
            "event at batch index \(index) (\(type)) rejected by projection '\(projection)': \(reason)"
        case .rollbackTargetInsideBatch(let offset, let batch):
            "rollback target offset \(offset) is inside the batch of compensating events at offsets "
                + "\(batch.lowerBound)–\(batch.upperBound) that an earlier rollback appended atomically, so the state "
                + "at \(offset) never existed; roll back to \(batch.lowerBound - 1) (before that rollback) or "
                + "\(batch.upperBound) (after it)"
        case .rollbackRefused(let index, let type, let reason):
            "the rollback planner refused the event at batch index \(index) (\(type)): \(reason)"
        case .projectionUnavailable(let name, let reason):
            "projection '\(name)' is unavailable: \(reason)"
        case .corruptSnapshot(let offset, let reason):
            "corrupt snapshot at offset \(offset): \(reason)"
        case .corruptRecord(let offset, let reason):
            "corrupt record at offset \(offset): \(reason)"
        case .unsupportedFormat(let detail):
            "unsupported store format: \(detail)"
        case .storeNotFound(let path):
            "no store at \(path) (run 'annals init' first)"
        case .compression(let detail):
            "compression failed: \(detail)"
        case .storage(let error):
            "storage error: \(error)"
        case .io(let detail):
            "I/O error: \(detail)"
        case .closed:
            "the store is closed"
        case .invalidArgument(let detail):
            "invalid argument: \(detail)"
        }
    }
}
