import Foundation
import LMDB

extension EventStore {
    /// The cursor `name`, or `nil` if there is none (it was never created, acknowledged or reset, or was deleted).
    public func cursor(named name: String) throws(AnnalsError) -> SubscriberCursor? {
        try SubscriberCursor.validate(name: name)
        do {
            return try environment.read { txn in
                let head = try txn.lastOffset(schema)
                return try txn.get(schema.cursors, key: Array(name.utf8)).flatMap { stored in
                    stored.withUnsafeBytes { SubscriberCursor(name: name, stored: $0, head: head) }
                }.map { try $0.withResets(schema, txn) }
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// Every cursor, by name, with its lag behind the head.
    public func cursors() throws(AnnalsError) -> [SubscriberCursor] {
        do {
            return try environment.read { txn in
                let head = try txn.lastOffset(schema)
                return try txn.withCursor(schema.cursors) { cursor in
                    var out: [SubscriberCursor] = []
                    var entry = try cursor.get(.first)
                    while let current = entry {
                        let name = String(decoding: current.key, as: UTF8.self)
                        if let parsed = SubscriberCursor(name: name, stored: current.value, head: head) {
                            out.append(try parsed.withResets(schema, txn))
                        }
                        entry = try cursor.get(.next)
                    }
                    return out
                }
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// Records that the consumer of `name` has processed everything through `offset`, blocking the calling thread
    /// until that is committed. Cursors only move forward here (an older offset is ignored); use
    /// ``resetCursor(_:to:)`` to move one back. Async code that acknowledges often can suspend instead of blocking a
    /// thread of the cooperative pool: `try await append(contentsOf: [], acknowledging: name, through: offset)` does
    /// the same, sharing the appends' group commit.
    ///
    /// With `expectingResets`, the cursor's ``SubscriberCursor/resets`` as this consumer read it (from
    /// ``cursor(named:)`` or ``createCursor(_:at:)`` when it started), the acknowledgement is conditional: if someone
    /// reset or deleted the cursor meanwhile (`annals cursors reset` or `delete`, ``resetCursor(_:to:)``,
    /// ``deleteCursor(_:)``), to any offset, nothing is written and it throws
    /// ``AnnalsError/cursorMoved(name:offset:)`` instead of undoing that. Other consumers' acknowledgements do not
    /// count. `annals tail --cursor` acknowledges this way.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for an `offset` past the log's last offset;
    ///   ``AnnalsError/cursorMoved(name:offset:)``.
    public func acknowledge(_ name: String, through offset: UInt64, expectingResets: UInt64? = nil)
        throws(AnnalsError)
    {
        try SubscriberCursor.validate(name: name)
        let acknowledgement = CursorAcknowledgement(name: name, offset: offset, expectedResets: expectingResets)
        do {
            try write { [schema] txn in
                try acknowledgement.check(head: try txn.lastOffset(schema))
                try acknowledgement.checkResets(schema, txn)
                try acknowledgement.write(schema, txn)
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// Appends `events` and acknowledges `name` through `offset` in one transaction: the consumer's effects and its
    /// progress commit together or not at all, so after a crash an event is neither lost nor processed twice.
    ///
    /// `events` may be empty (an event that needed no effect is still acknowledged). An `offset` past the log's last
    /// offset, `events` included, fails the batch with ``AnnalsError/invalidArgument(_:)``.
    ///
    /// With `expectingResets` (the cursor's ``SubscriberCursor/resets`` as this consumer read it), the batch is
    /// conditional, as ``acknowledge(_:through:expectingResets:)`` is: if someone reset or deleted the cursor
    /// meanwhile, neither the events nor the acknowledgement are written and it throws
    /// ``AnnalsError/cursorMoved(name:offset:)``, so a consumer still running cannot undo an operator's
    /// `annals cursors reset` (it should read the cursor again and resume from there).
    public func append(
        contentsOf events: [NewEvent], acknowledging name: String, through offset: UInt64,
        expectingResets: UInt64? = nil
    ) async throws(AnnalsError) -> [AppendReceipt] {
        try SubscriberCursor.validate(name: name)
        let prepared = try prepare(events, allowEmpty: true)
        let acknowledgement = CursorAcknowledgement(name: name, offset: offset, expectedResets: expectingResets)
        do {
            return try await withCheckedThrowingContinuation { continuation in
                submit(prepared.events, acknowledging: acknowledgement) { continuation.resume(with: $0) }
            }
        } catch {
            throw error as! AnnalsError
        }
    }

    /// Sets cursor `name` to `offset` (backwards too), creating it if needed: delivery resumes after `offset`.
    ///
    /// An `offset` committed but not yet durable (a writer in `.noSync` mode between its syncs) is first made durable
    /// with ``sync()``: a cursor stored past the durable offset would skip the events that reuse the offsets a system
    /// crash lost.
    /// - Returns: The cursor as the reset stored it, with its ``SubscriberCursor/resets`` counted and its lag behind
    ///   the head read in the same transaction (a ``cursor(named:)`` afterwards could already see another process's
    ///   change, or no cursor at all).
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for an `offset` past the log's last offset, or one still not
    ///   durable after the sync; the errors of ``sync()``.
    @discardableResult
    public func resetCursor(_ name: String, to offset: UInt64) throws(AnnalsError) -> SubscriberCursor {
        try SubscriberCursor.validate(name: name)
        try syncUnlessDurable(through: offset)
        do {
            return try writeReturning { [self] txn in
                let head = try txn.lastOffset(schema)
                try CursorAcknowledgement.check(offset, of: name, head: head, action: "reset to")
                try CursorAcknowledgement.checkDurable(
                    offset, of: name, durable: durableOffset(upTo: head), action: "reset to")
                let key = Array(name.utf8)
                let now = currentTimeMilliseconds()
                var cursor = SubscriberCursor(
                    name: name, offset: offset, acknowledgedAt: now, createdAt: now, lag: head - offset)
                if let stored = try txn.get(schema.cursors, key: key),
                    let previous = stored.withUnsafeBytes({ SubscriberCursor(name: name, stored: $0, head: 0) })
                {
                    cursor.createdAt = previous.createdAt
                }
                try txn.put(schema.cursors, key: key, value: cursor.stored)
                try SubscriberCursor.countReset(of: name, schema, txn)
                return try cursor.withResets(schema, txn)
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// Sets cursor `name` where a new subscription at `start` would begin (backwards too), creating it if needed:
    /// ``SubscriptionStart/beginning`` is offset 0, ``SubscriptionStart/after(_:)`` its offset, and
    /// ``SubscriptionStart/end`` the durable offset (``LogHead/durableOffset``), as for a subscription and
    /// `annals tail --from end`, not the last committed one. Subscriptions deliver only durable events: a cursor set
    /// past them would skip events committed but not yet synced (a writer in `.noSync` mode between its syncs) before
    /// any consumer saw them, and the offsets of the ones a system crash then loses would be reused by new events that
    /// the cursor also skips. `annals cursors reset --to` calls this.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for an ``SubscriptionStart/after(_:)`` offset past the log's
    ///   last offset; the errors of ``head()``.
    /// - Returns: The cursor as the reset stored it, its resets counted and its lag read in the same transaction.
    @discardableResult
    public func resetCursor(_ name: String, to start: SubscriptionStart) throws(AnnalsError) -> SubscriberCursor {
        try SubscriberCursor.validate(name: name)
        return try resetCursor(name, to: try start.offset(in: self))
    }

    /// Creates cursor `name` at `offset` unless it exists, in one transaction, and returns the cursor as stored: the
    /// new one (never acknowledged: its ``SubscriberCursor/acknowledgedAt`` is 0), or the existing one unchanged. Two
    /// consumers starting on a new cursor at once thus never move it back over what the first has acknowledged
    /// meanwhile (``resetCursor(_:to:)`` would).
    ///
    /// A new cursor's `offset` committed but not yet durable is first made durable, as for ``resetCursor(_:to:)``.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for a new cursor's `offset` past the log's last offset, or one
    ///   still not durable after the sync; the errors of ``sync()``.
    public func createCursor(_ name: String, at offset: UInt64) throws(AnnalsError) -> SubscriberCursor {
        try SubscriberCursor.validate(name: name)
        try syncUnlessDurable(through: offset)
        do {
            return try writeReturning(creatingCursor(name, at: offset))
        } catch {
            throw AnnalsError(error)
        }
    }

    /// ``createCursor(_:at:)`` for async code inside the engine (a subscription's first `next()`): suspends until the
    /// commit instead of blocking a thread of the cooperative pool.
    func createCursorSuspending(_ name: String, at offset: UInt64) async throws(AnnalsError) -> SubscriberCursor {
        try SubscriberCursor.validate(name: name)
        try syncUnlessDurable(through: offset)
        let create = creatingCursor(name, at: offset)
        let box = ResultBox<SubscriberCursor>()
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                submitWrite({ txn in box.result = .success(try create(txn)) }) { error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                }
            }
        } catch {
            throw AnnalsError(error)
        }
        return try box.result!.get()
    }

    /// The transaction of ``createCursor(_:at:)``: the cursor as stored, or created at `offset` when missing.
    private func creatingCursor(
        _ name: String, at offset: UInt64
    ) -> (borrowing Transaction) throws -> SubscriberCursor {
        { [self] txn in
            let key = Array(name.utf8)
            let head = try txn.lastOffset(schema)
            if let stored = try txn.get(schema.cursors, key: key),
                let existing = stored.withUnsafeBytes({ SubscriberCursor(name: name, stored: $0, head: head) })
            {
                return try existing.withResets(schema, txn)
            }
            try CursorAcknowledgement.check(offset, of: name, head: head, action: "created at")
            try CursorAcknowledgement.checkDurable(
                offset, of: name, durable: durableOffset(upTo: head), action: "created at")
            // Created, not acknowledged: `acknowledgedAt` stays 0 (`null` in `annals cursors`) until the first
            // acknowledgement or reset.
            let cursor = SubscriberCursor(
                name: name, offset: offset, acknowledgedAt: 0, createdAt: currentTimeMilliseconds(),
                lag: head > offset ? head - offset : 0)
            try txn.put(schema.cursors, key: key, value: cursor.stored)
            return try cursor.withResets(schema, txn)
        }
    }

    /// Syncs when `offset` is committed but not yet durable, so that a cursor about to be stored there does not point
    /// past what a system crash would keep. An `offset` past the log is left to the transaction's check.
    private func syncUnlessDurable(through offset: UInt64) throws(AnnalsError) {
        if offset > durableOffset { try sync() }
    }

    /// Deletes cursor `name`; returns whether it existed.
    @discardableResult
    public func deleteCursor(_ name: String) throws(AnnalsError) -> Bool {
        try SubscriberCursor.validate(name: name)
        let box = ResultBox<Bool>()
        do {
            try write { [schema] txn in
                let existed = try txn.delete(schema.cursors, key: Array(name.utf8))
                if existed { try SubscriberCursor.countReset(of: name, schema, txn) }
                box.result = .success(existed)
            }
        } catch {
            throw AnnalsError(error)
        }
        return try box.result!.get()
    }
}
