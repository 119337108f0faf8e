import LMDB

/// A lazy read of the log: events are fetched in chunks, each chunk in its own short read transaction, so a slow
/// consumer never pins old pages.
///
/// Iterate asynchronously (`for try await event in store.events(query)`) or synchronously through
/// ``makeReader()``.
///
/// Once the store is closed (``EventStore/close()``), the next `next()` throws ``AnnalsError/closed``, also when
/// events of the current chunk are still buffered, as a ``Subscription`` does; only a read that had already reached
/// its end (or its limit) goes on returning `nil`.
///
/// A read is finite, so unlike a subscription (which waits for events and ends when its task is cancelled) it does
/// not end early when its task is cancelled: `nil` would read as "no more events", and a consumer counting or
/// auditing them could not tell a cancelled read from a complete one. Check `Task.isCancelled` in the loop to stop.
public struct EventSequence: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = RecordedEvent
    /// The failure type.
    public typealias Failure = AnnalsError

    let store: EventStore
    let query: EventQuery

    /// A synchronous reader over the same events.
    public func makeReader() -> EventReader { EventReader(store: store, query: query) }

    /// Reads every event into an array (mind the size of the result).
    public func collect() throws(AnnalsError) -> [RecordedEvent] {
        var reader = makeReader()
        var out: [RecordedEvent] = []
        while let event = try reader.next() { out.append(event) }
        return out
    }

    /// Reads events into an array like ``collect()``, but ends, once it holds one event or more, with the read
    /// transaction after which the records read come to ``ReadPlan/maximumChunkBytes`` decoded: about that many
    /// bytes, whatever the query's limit and however well the events compress. Read the rest from past the last event
    /// returned; it returns no event only at the end. Plugin dispatch reads its batches with it.
    package func collectBounded() throws(AnnalsError) -> [RecordedEvent] {
        var reader = makeReader()
        var out: [RecordedEvent] = []
        while let event = try reader.next() {
            out.append(event)
            if reader.endsBoundedRead { break }
        }
        return out
    }

    /// The async iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var reader: EventReader

        /// The next event, or `nil` at the end; throws ``AnnalsError/closed`` once the store is closed (also when
        /// events are buffered), as ``EventReader/next()`` does.
        public mutating func next() async throws(AnnalsError) -> RecordedEvent? { try reader.next() }

        /// The next event, or `nil` at the end; throws ``AnnalsError/closed`` once the store is closed (also when
        /// events are buffered), as ``EventReader/next()`` does.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(AnnalsError) -> RecordedEvent? {
            try reader.next()
        }
    }

    /// Creates the async iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: makeReader()) }
}

/// A synchronous, chunked reader of a query's events.
public struct EventReader {
    /// The most events one read transaction fetches.
    static let chunkSize = 2048

    private let store: EventStore
    private let query: EventQuery
    private let decoder: BatchDecoder
    private var plan: ReadPlan?
    /// The current chunk, in reverse order (the next event last).
    private var buffer: [RecordedEvent] = []
    private var finished = false
    private var delivered = 0
    /// How many records the next read transaction fetches: a query with a limit starts with what the limit leaves,
    /// so that `read --limit 5` reads five records rather than a whole chunk, and doubles (up to ``chunkSize``)
    /// when filters drop what it fetched.
    private var nextFetch = chunkSize
    /// A failure met while reading the current chunk: thrown once the events before it have been delivered.
    private var pendingFailure: AnnalsError?
    /// The decoded bytes of the records its read transactions fetched (``ReadPlan/Chunk/decodedBytes``).
    private var decodedBytes = 0

    /// Whether a read of at most ``ReadPlan/maximumChunkBytes`` decoded (``EventSequence/collectBounded()``) ends
    /// here: the chunks fetched come to that many bytes, and every event of the last one has been returned (a
    /// damaged record after them is still reported, as ``EventSequence/collect()`` reports it).
    fileprivate var endsBoundedRead: Bool {
        buffer.isEmpty && pendingFailure == nil && decodedBytes >= ReadPlan.maximumChunkBytes
    }

    /// A reader of `query`'s events; `plan`, when given, replaces the planner's (tests force plans with it).
    init(store: EventStore, query: EventQuery, plan: ReadPlan? = nil) {
        self.store = store
        self.query = query
        self.plan = plan
        self.decoder = BatchDecoder(store: store)
        if let limit = query.limit { nextFetch = min(Self.chunkSize, max(limit, 1)) }
    }

    /// The next matching event, or `nil` at the end.
    ///
    /// Once the store is closed (``EventStore/close()`` has been called, even if it is still finishing), it throws
    /// ``AnnalsError/closed`` instead, also when events of the current chunk are still buffered (as a
    /// ``Subscription`` does): a read does not go on delivering up to 2,047 events of a store its consumer can no
    /// longer use. A read that had already reached its end or its limit goes on returning `nil`.
    /// - Throws: ``AnnalsError/closed`` once the store is closed, ``AnnalsError/corruptRecord(offset:reason:)`` for a
    ///   damaged record, ``AnnalsError/storage(_:)``.
    public mutating func next() throws(AnnalsError) -> RecordedEvent? {
        if let limit = query.limit, delivered >= limit {
            // A negative limit is refused as the plan refuses it, not read as 0.
            if limit < 0, !finished {
                finished = true
                try query.checkArguments()
            }
            return nil
        }
        // Checked for every event, not only at a refill: without it the buffered rest of a chunk was still delivered
        // after the close. An atomic load, as a subscription's check.
        if store.isClosed, !(finished && buffer.isEmpty && pendingFailure == nil) { throw .closed }
        while buffer.isEmpty {
            if let failure = pendingFailure {
                pendingFailure = nil
                finished = true
                throw failure
            }
            if finished { return nil }
            try refill()
        }
        delivered += 1
        return buffer.popLast()
    }

    private mutating func refill() throws(AnnalsError) {
        do {
            var plan = try self.plan ?? ReadPlan.make(for: query, store: store)
            let decoder = self.decoder
            let query = self.query
            let count = nextFetch
            let chunk = try store.environment.read { txn in
                try plan.fetch(count, txn, query: query, store: store, decoder: decoder)
            }
            nextFetch = min(Self.chunkSize, count * 2)
            decodedBytes += chunk.decodedBytes
            var fetched = chunk.events
            // Reversed, so that `next()` moves the next event out with `popLast()` instead of copying it; filtered
            // and reversed in one pass of moves (`removeAll(where:)` and `reverse()` swap, copying every event).
            var reversed: [RecordedEvent] = []
            reversed.reserveCapacity(fetched.count)
            while let event = fetched.popLast() {
                if query.matches(event) { reversed.append(event) }
            }
            finished = chunk.exhausted
            // Deliver what came before a damaged record first.
            pendingFailure = chunk.failure
            buffer = reversed
            self.plan = plan
        } catch {
            throw AnnalsError(error)
        }
    }
}

extension AnnalsError {
    /// Wraps any error from the storage layers.
    init(_ error: any Error) {
        if let error = error as? AnnalsError {
            self = error
        } else if let error = error as? LMDBError {
            self = error.code == .environmentClosed ? .closed : .storage(error)
        } else if let error = error as? ViewLeftBehind {
            self = error.unavailable(advice: "a writable open catches it up")
        } else if let error = error as? OntologyRecordError {
            self = .projectionUnavailable(
                name: error.projection, reason: "\(error); run 'annals rebuild \(error.projection)'")
        } else if let error = error as? RecordFormatError {
            self = .corruptRecord(offset: 0, reason: error.description)
        } else {
            self = .io("\(error)")
        }
    }
}
