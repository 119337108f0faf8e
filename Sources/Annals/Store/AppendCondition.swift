import LMDB

/// A condition an atomic batch is appended under, checked by the writer inside the transaction that would append
/// it: no event appended after ``plannedAt`` (committed before, or accepted earlier in the same group commit) may
/// be one that ``conflicts(_:)`` reports. A batch computed from the state at one offset (a rollback's compensating
/// events) is thus appended only if nothing it depends on changed since, and fails with
/// ``AnnalsError/conflictingAppend(offset:plannedAt:)`` otherwise.
struct AppendCondition: @unchecked Sendable {
    /// The log head the batch was computed at.
    let plannedAt: UInt64
    /// The offset of the first event committed after an offset that ``conflicts(_:)`` reports, read in the writer's
    /// transaction; `nil` when none does.
    let firstCommittedConflict: (_ after: UInt64, _ txn: borrowing Transaction) throws -> UInt64?
    /// Whether an event appended after ``plannedAt`` invalidates the batch.
    let conflicts: @Sendable (ProjectedEvent) -> Bool

    /// The offset of the first event after ``plannedAt`` that conflicts: among those committed (read in `txn`),
    /// then among `pending`, the events accepted earlier in the same group commit; `nil` when none does.
    /// `pending` is called only when no committed event conflicts.
    func firstConflict(pending: () -> [ProjectedEvent], _ txn: borrowing Transaction) throws -> UInt64? {
        if let committed = try firstCommittedConflict(plannedAt, txn) { return committed }
        return pending().first { $0.offset > plannedAt && conflicts($0) }?.offset
    }
}
