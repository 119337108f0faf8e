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

extension AppendCondition {
    /// A condition checked against the events of `store` itself: those committed after `plannedAt` that `including`
    /// passes are decoded (in chunks, stopping at the first conflict, since the writer's transaction waits for it)
    /// and checked with `conflicts`, as are the events accepted earlier in the same group commit.
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
