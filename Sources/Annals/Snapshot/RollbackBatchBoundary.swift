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
        try batch(containing: offset) { event in
            event.metadata["rollback"].map {
                RollbackBatchMark(rollback: $0, actorId: event.actorId, timestamp: event.timestamp)
            }
        }
    }

    /// The run of contiguous events around `offset` that carry the same `mark`, when the events at `offset` and
    /// `offset + 1` both carry it: one atomic batch, for a mark that only the events of one batch share (a rollback's,
    /// ``rollbackBatch(containing:)``, or a plugin operation's `metadata.plugin`). The state at such an offset, part of
    /// the batch applied, never existed.
    /// - Parameter mark: What an event shares with the rest of its batch, or `nil` for an event of no batch.
    /// - Returns: The batch's first and last offsets, or `nil` when `offset` is 0, outside every batch, or a batch's
    ///   last offset.
    /// - Throws: ``AnnalsError`` when the events around `offset` cannot be read.
    public func batch<Mark: Equatable>(
        containing offset: UInt64, markedBy mark: (RecordedEvent) -> Mark?
    ) throws(AnnalsError) -> ClosedRange<UInt64>? {
        func markOfEvent(at offset: UInt64) throws(AnnalsError) -> Mark? {
            try event(at: offset).flatMap(mark)
        }
        guard offset > 0, let here = try markOfEvent(at: offset), try markOfEvent(at: offset + 1) == here else {
            return nil
        }
        var first = offset
        while first > 1, try markOfEvent(at: first - 1) == here { first -= 1 }
        var last = offset + 1
        while try markOfEvent(at: last + 1) == here { last += 1 }
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
}

/// What every event of one rollback's batch carries alike: its `metadata.rollback` (target offset and scope), its
/// actor and its timestamp (one per batch, given or taken at the append).
struct RollbackBatchMark: Equatable {
    let rollback: JSONValue
    let actorId: String?
    let timestamp: Int64
}
