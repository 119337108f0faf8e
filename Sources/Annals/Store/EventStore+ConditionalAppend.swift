extension EventStore {
    /// Appends `events` as one atomic batch only if no event appended after offset `plannedAt` matches any of
    /// `filters`: the optimistic concurrency check of a decision made from what the store held at `plannedAt` (the
    /// ``OntologyView/offset`` or ``head()`` it was computed from) that depends on more than one stream.
    ///
    /// The events committed since `plannedAt` are checked first on the calling thread, so that an old plan does not
    /// hold up the writer. The writer then checks, inside the transaction that would append the batch, the events
    /// committed since that first check and those accepted earlier in the same group commit, so two decisions made
    /// from the same state can never both be appended. `expectedVersion` does the same for one stream.
    ///
    /// ```swift
    /// let (plan, offset) = try store.read { view in (try makePlan(view), view.offset) }
    /// let changes = [EventFilter(types: ["thing.*", "connection.*"], groupId: "org-acme")]
    /// do {
    ///     _ = try await store.append(contentsOf: plan, unlessAppendedAfter: offset, matching: changes)
    /// } catch .conflictingAppend {
    ///     // The group changed meanwhile: read again and plan again.
    /// }
    /// ```
    /// - Parameters:
    ///   - filters: The events that would invalidate the decision; at least one (`[EventFilter()]` for any event).
    /// - Throws: ``AnnalsError/conflictingAppend(offset:plannedAt:)`` naming the first such event (nothing of the
    ///   batch is written); ``AnnalsError/invalidArgument(_:)`` for no filter, an invalid type pattern, or a
    ///   `plannedAt` past the log's last offset; otherwise as ``append(contentsOf:)``.
    public func append(
        contentsOf events: [NewEvent], unlessAppendedAfter plannedAt: UInt64, matching filters: [EventFilter]
    ) async throws(AnnalsError) -> [AppendReceipt] {
        guard !filters.isEmpty else {
            throw .invalidArgument("a conditional append needs at least one filter ([EventFilter()] for any event)")
        }
        for filter in filters { try EventFilter.checkPatterns(filter.types) }
        return try await append(
            contentsOf: events, plannedAt: plannedAt, including: { event in filters.contains { $0.matches(event) } },
            conflicts: { event in filters.contains { $0.matches(event) } })
    }

    /// ``append(contentsOf:unlessAppendedAfter:matching:)`` with a predicate: the batch is appended only if no event
    /// appended after `plannedAt` is one `conflicts` returns `true` for. The predicate runs for every event appended
    /// since `plannedAt`: on the calling thread for those committed before the call, and on the writer thread,
    /// inside its transaction, for those committed or accepted after that. Keep it cheap, and do not call the store
    /// from it.
    /// - Throws: As ``append(contentsOf:unlessAppendedAfter:matching:)``.
    public func append(
        contentsOf events: [NewEvent], unlessAppendedAfter plannedAt: UInt64,
        where conflicts: @escaping @Sendable (ProjectedEvent) -> Bool
    ) async throws(AnnalsError) -> [AppendReceipt] {
        try await append(contentsOf: events, plannedAt: plannedAt, including: { _ in true }, conflicts: conflicts)
    }

    private func append(
        contentsOf events: [NewEvent], plannedAt: UInt64, including: @escaping @Sendable (RecordedEvent) -> Bool,
        conflicts: @escaping @Sendable (ProjectedEvent) -> Bool
    ) async throws(AnnalsError) -> [AppendReceipt] {
        let condition = AppendCondition(
            plannedAt: plannedAt, store: self, including: including, conflicts: conflicts)
        return try await append(contentsOf: events, condition: condition)
    }
}
