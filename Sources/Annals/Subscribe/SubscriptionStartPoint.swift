import Synchronization

/// Where a subscription's iteration starts: the offset delivery resumes after and, for a named subscription, its
/// cursor as read (or created) in the same transaction.
public struct SubscriptionStartPoint: Sendable, Hashable {
    /// Delivery starts with the first matching event after this offset (0: from the first event).
    public let offset: UInt64
    /// A named subscription's cursor as its start was resolved: `nil` for an anonymous subscription, and for a named
    /// one on a read-only store whose cursor did not exist (it is not created there). Pass its
    /// ``SubscriberCursor/resets`` to ``EventStore/acknowledge(_:through:expectingResets:)`` so that a reset or
    /// deletion of the cursor since is not undone.
    public let cursor: SubscriberCursor?
}

/// The start points of one subscription's iterations, shared by its copies: the latest one (for
/// ``Subscription/startCursor``), and whether an iterator has yet to take it (one ``Subscription/startPoint()``
/// resolved ahead of the iteration).
final class SubscriptionStartPoints: Sendable {
    private struct State {
        var latest: SubscriptionStartPoint?
        var awaitingIterator = false
    }
    private let state = Mutex(State())

    /// The start point resolved last, if any: one resolved ahead, or the one the latest iteration started from.
    var latest: SubscriptionStartPoint? { state.withLock { $0.latest } }

    /// The start point a ``Subscription/startPoint()`` resolved ahead of the iteration, taken by the iterator that
    /// starts next; `nil` when there is none.
    func takeResolvedAhead() -> SubscriptionStartPoint? {
        state.withLock { state in
            guard state.awaitingIterator else { return nil }
            state.awaitingIterator = false
            return state.latest
        }
    }

    /// Records `point`, resolved ahead of the iteration, unless a start point was recorded while it was resolved (an
    /// iteration that began meanwhile, or another ``Subscription/startPoint()``): that one is kept, so that the next
    /// iteration does not start again from this older point. Returns the start point recorded.
    func recordAhead(_ point: SubscriptionStartPoint) -> SubscriptionStartPoint {
        state.withLock { state in
            if let latest = state.latest { return latest }
            state.latest = point
            state.awaitingIterator = true
            return point
        }
    }

    /// Records `point` as the latest; `ahead` when no iterator started from it yet.
    func record(_ point: SubscriptionStartPoint, ahead: Bool) {
        state.withLock { state in
            state.latest = point
            state.awaitingIterator = ahead
        }
    }
}

extension Subscription {
    /// Where this subscription starts, or started: the start point of its latest iteration or, before one started,
    /// the one the next iteration starts from, resolved now. Resolving it reads the named cursor and, on a writable
    /// store, creates it at ``start`` when missing, as an iteration's first `next()` does (each iteration resolves
    /// its own start, so one that runs again resumes after what was acknowledged meanwhile).
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for an ``SubscriptionStart/after(_:)`` offset past the log's
    ///   last offset when no cursor exists; ``AnnalsError/closed`` and the errors of a read.
    public func startPoint() async throws(AnnalsError) -> SubscriptionStartPoint {
        if let known = startPoints.latest { return known }
        return startPoints.recordAhead(try await resolveStartPoint())
    }

    /// The cursor of this subscription's latest start point (``startPoint()``), as its iteration's first `next()`
    /// read or created it; `nil` before then and for an anonymous subscription.
    ///
    /// It belongs to the latest iteration to start. Two iterations of one subscription that run at once (two `for`
    /// loops over it in different tasks) each take their own: an iterator's ``Iterator/startCursor``, or one
    /// ``EventStore/subscribe(_:filter:start:)`` per consumer. Read from here, the later iteration's cursor (after a
    /// reset between the two starts) would let the earlier one's conditional acknowledgement undo that reset.
    public var startCursor: SubscriberCursor? { startPoints.latest?.cursor }

    /// The start point an iteration begins at: one ``startPoint()`` resolved ahead of it, or a new one.
    func beginIteration() async throws(AnnalsError) -> SubscriptionStartPoint {
        if let ahead = startPoints.takeResolvedAhead() { return ahead }
        let point = try await resolveStartPoint()
        startPoints.record(point, ahead: false)
        return point
    }

    /// The cursor's offset or, for a new cursor or none, ``startOffset``. A new cursor of a writable store is saved
    /// at once (as ``EventStore/createCursor(_:at:)`` does, which keeps one another consumer created meanwhile, but
    /// suspending rather than blocking a thread of the pool), so that a consumer that stops before its first
    /// acknowledgement resumes from the same start rather than from a later end, skipping what came in between.
    private func resolveStartPoint() async throws(AnnalsError) -> SubscriptionStartPoint {
        if let name, let cursor = try store.cursor(named: name) {
            return SubscriptionStartPoint(offset: cursor.offset, cursor: cursor)
        }
        let offset = startOffset
        if let name, !store.options.readOnly {
            let cursor = try await store.createCursorSuspending(name, at: offset)
            return SubscriptionStartPoint(offset: cursor.offset, cursor: cursor)
        }
        // A read-only store creates no cursor, which would refuse a start past the log: refuse it here. (An anonymous
        // subscription's start was checked by `subscribe`, and the log does not shrink.)
        if name != nil { try start.check(in: store) }
        return SubscriptionStartPoint(offset: offset, cursor: nil)
    }
}
