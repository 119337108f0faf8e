extension EventStore {
    /// The atomic batch of compensating events an earlier rollback appended, when `offset` lies inside it: the
    /// events at `offset` and `offset + 1` both belong to it. The state at such an offset, half of that rollback
    /// applied, never existed (the batch was committed at once), so no reader ever saw it; `annals state --at` warns
    /// about it and a rollback refuses it as a target.
    ///
    /// The log records no batch boundaries; a rollback's events are recognised by what they share
    /// (``RollbackBatchMark``): the same `metadata.rollback` (`toOffset` and `scope`), actor and timestamp. Two
    /// rollbacks with the same target, scope, actor and millisecond next to each other would read as one; the second
    /// then finds nothing to change (the first restored the scope), so they do not occur.
    /// - Returns: The batch's first and last offsets, or `nil` when `offset` is not inside a rollback's batch (it is
    ///   0, outside every batch, or a batch's last offset, the state after the whole rollback).
    /// - Throws: ``AnnalsError`` when the events around `offset` cannot be read.
    public func rollbackBatch(containing offset: UInt64) throws(AnnalsError) -> ClosedRange<UInt64>? {
        guard offset > 0, let mark = try rollbackBatchMark(at: offset), try rollbackBatchMark(at: offset + 1) == mark
        else { return nil }
        var first = offset
        while first > 1, try rollbackBatchMark(at: first - 1) == mark { first -= 1 }
        var last = offset + 1
        while try rollbackBatchMark(at: last + 1) == mark { last += 1 }
        return first...last
    }

    /// Throws when `offset` lies inside the atomic batch of compensating events an earlier rollback appended
    /// (``rollbackBatch(containing:)``): restoring the state there would write a mixture no reader ever saw.
    /// - Throws: ``AnnalsError/rollbackTargetInsideBatch(offset:batch:)`` naming the batch's first and last offsets.
    func refuseTargetInsideRollbackBatch(_ offset: UInt64) throws(AnnalsError) {
        if let batch = try rollbackBatch(containing: offset) {
            throw .rollbackTargetInsideBatch(offset: offset, batch: batch)
        }
    }

    /// What the event at `offset` shares with the rest of its rollback's batch, or `nil` for an event no rollback
    /// appended (or an offset past the head).
    private func rollbackBatchMark(at offset: UInt64) throws(AnnalsError) -> RollbackBatchMark? {
        guard let event = try event(at: offset), let rollback = event.metadata["rollback"] else { return nil }
        return RollbackBatchMark(rollback: rollback, actorId: event.actorId, timestamp: event.timestamp)
    }
}

/// What every event of one rollback's batch carries alike: its `metadata.rollback` (target offset and scope), its
/// actor and its timestamp (one per batch, given or taken at the append).
struct RollbackBatchMark: Equatable {
    let rollback: JSONValue
    let actorId: String?
    let timestamp: Int64
}
