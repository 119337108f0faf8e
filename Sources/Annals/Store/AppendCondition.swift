import LMDB

/// A condition an atomic batch is appended under, checked by the writer inside the transaction that would append
/// it: no event appended after ``plannedAt`` (committed before, or accepted earlier in the same group commit) may
/// be one that ``conflicts(_:)`` reports. A batch computed from the state at one offset (a rollback's compensating
/// events) is thus appended only if nothing it depends on changed since, and fails with
/// ``AnnalsError/conflictingAppend(offset:plannedAt:)`` otherwise.
///
/// The events committed before the batch is queued are checked on the caller's thread
/// (``EventStore/prechecked(_:for:)``), which moves ``checkedThrough`` up to the head it read: the writer, whose
/// transaction every other append waits for, then reads only the events committed after that.
struct AppendCondition: @unchecked Sendable {
    /// The log head the batch was computed at.
    let plannedAt: UInt64
    /// The last offset whose committed events are known not to conflict: ``plannedAt`` until a pre-check.
    private(set) var checkedThrough: UInt64
    /// The offset of the first event committed after an offset that ``conflicts(_:)`` reports, read in `txn` (the
    /// caller's read transaction or the writer's); `nil` when none does.
    let firstCommittedConflict: (_ after: UInt64, _ txn: borrowing Transaction) throws -> UInt64?
    /// Whether an event appended after ``plannedAt`` invalidates the batch.
    let conflicts: @Sendable (ProjectedEvent) -> Bool

    init(
        plannedAt: UInt64,
        firstCommittedConflict: @escaping (_ after: UInt64, _ txn: borrowing Transaction) throws -> UInt64?,
        conflicts: @escaping @Sendable (ProjectedEvent) -> Bool
    ) {
        self.plannedAt = plannedAt
        self.checkedThrough = plannedAt
        self.firstCommittedConflict = firstCommittedConflict
        self.conflicts = conflicts
    }

    /// The offset of the first event after ``checkedThrough`` that conflicts: among those committed (read in
    /// `txn`), then among `pending`, the events accepted earlier in the same group commit; `nil` when none does.
    /// `pending` is called only when no committed event conflicts.
    func firstConflict(pending: () -> [ProjectedEvent], _ txn: borrowing Transaction) throws -> UInt64? {
        if let committed = try firstCommittedConflict(checkedThrough, txn) { return committed }
        return pending().first { $0.offset > checkedThrough && conflicts($0) }?.offset
    }

    /// The same condition, with the committed events through `head` checked.
    func checked(through head: UInt64) -> AppendCondition {
        var checked = self
        checked.checkedThrough = max(checkedThrough, head)
        return checked
    }
}

extension AppendCondition {
    /// A condition checked against the events of `store` itself: those committed after `plannedAt` that `including`
    /// passes are decoded (in chunks, stopping at the first conflict) and checked with `conflicts`, as are the
    /// events accepted earlier in the same group commit.
    init(
        plannedAt: UInt64, store: EventStore, including: @escaping @Sendable (RecordedEvent) -> Bool,
        conflicts: @escaping @Sendable (ProjectedEvent) -> Bool
    ) {
        self.init(
            plannedAt: plannedAt,
            firstCommittedConflict: { after, txn in
                let decoder = BatchDecoder(store: store)
                var position = after
                while true {
                    let (chunk, last) = try store.projectedEvents(
                        after: position, limit: 1_024, decoder: decoder, including: including, txn)
                    guard let last else { return nil }
                    if let conflict = chunk.first(where: conflicts) { return conflict.offset }
                    position = last
                }
            },
            conflicts: conflicts)
    }
}

extension EventStore {
    /// Checks `condition` against the events committed so far, in a read transaction on the caller's thread, before
    /// its batch is queued: the writer then reads only the events committed after the head read here, however old
    /// the plan.
    /// - Returns: `condition`, checked through the head read.
    /// - Throws: ``AnnalsError/conflictingAppend(offset:plannedAt:)`` for the first conflicting event, unless
    ///   every event of the batch has a client id already in the log (a retry, whose own events conflict: the writer
    ///   returns its original receipts); ``AnnalsError/invalidArgument(_:)`` for a plan past the log's last offset.
    func prechecked(_ condition: AppendCondition, for events: [NewEvent]) throws(AnnalsError) -> AppendCondition {
        do {
            return try environment.read { txn -> AppendCondition in
                let head = try txn.lastOffset(schema)
                guard condition.plannedAt <= head else {
                    throw AnnalsError.invalidArgument(
                        "a conditional append planned at offset \(condition.plannedAt), past the last offset \(head)")
                }
                guard let conflict = try condition.firstCommittedConflict(condition.checkedThrough, txn) else {
                    return condition.checked(through: head)
                }
                let isRetry = try events.allSatisfy { event in
                    guard let id = event.id, !identity.isReserved(id) else { return false }
                    return try offset(of: id, txn) != nil
                }
                if isRetry { return condition }
                throw AnnalsError.conflictingAppend(offset: conflict, plannedAt: condition.plannedAt)
            }
        } catch {
            throw AnnalsError(error)
        }
    }
}
