/// Where a subscription starts when its cursor has never been acknowledged.
public enum SubscriptionStart: Sendable, Hashable {
    /// From the first event.
    case beginning
    /// After the events durable when ``EventStore/subscribe(_:filter:start:)`` is called: only new events.
    case end
    /// After this offset, which must not be past the log's last offset (a start there would skip the events appended
    /// until the log reaches it; ``end`` delivers only new events): ``EventStore/subscribe(_:filter:start:)`` refuses
    /// one with ``AnnalsError/invalidArgument(_:)``, and so does the first `next()` of a named subscription whose
    /// cursor it would create (or, on a read-only store, stand in for).
    case after(UInt64)

    /// Refuses an ``after(_:)`` offset past the last offset of `store`'s log, as cursors refuse to move past it (the
    /// log is read only for an ``after(_:)`` start).
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` naming the offset and the log's last offset; the errors of
    ///   ``EventStore/lastOffset()``.
    func check(in store: EventStore) throws(AnnalsError) {
        guard case .after(let offset) = self else { return }
        let last = try store.lastOffset()
        guard offset > last else { return }
        throw .invalidArgument(
            "a subscription cannot start after offset \(offset): the log ends at offset \(last), and a start past it "
                + "would skip the events appended until the log reaches it (.end delivers only new events)")
    }

    /// The offset this start stands for in `store` now: 0 for ``beginning``, the offset of ``after(_:)``, and for
    /// ``end`` the durable offset (``LogHead/durableOffset``), since only durable events are delivered.
    /// - Throws: The errors of ``EventStore/head()``, for ``end``.
    func offset(in store: EventStore) throws(AnnalsError) -> UInt64 {
        switch self {
        case .beginning: 0
        case .after(let offset): offset
        case .end: try store.head().durableOffset
        }
    }
}

/// A live stream of events: catch-up from a position, then new events as they become durable.
///
/// It is pull-based: events are read only when the consumer asks for more, in refills that stop once they hold
/// 1,024 events or about 16 MiB of decoded events, however well they compress (the read that reaches either can
/// bring a refill to 2,047 events and about 32 MiB), so a slow consumer holds back reading instead of making the
/// engine buffer. Only durable events are delivered (the durable watermark), and waiting for new ones uses the
/// cross-process wake-up of the watermark file, not sleep-polling.
///
/// A named subscription resumes after its cursor's last acknowledged offset; acknowledge with
/// ``EventStore/acknowledge(_:through:expectingResets:)`` (at-least-once) or ``EventStore/append(contentsOf:acknowledging:through:)``
/// (exactly-once for effects written to the same store). The sequence ends when its task is cancelled (the next
/// `next()` returns `nil`, even with events already read into its buffer), and throws ``AnnalsError/closed`` once the
/// store is closed, also while it waits for new events and with events still in its buffer (they could no longer be
/// acknowledged).
///
/// It is an `AsyncSequence<RecordedEvent, AnnalsError>`: its iterator's `next(isolation:)` throws ``AnnalsError`` by
/// type, so the error of `for try await event in subscription` in a `do throws(AnnalsError)` block is an
/// ``AnnalsError`` (Swift 6 types a plain `do` block's error as `any Error`, whatever its calls throw).
public struct Subscription: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = RecordedEvent
    /// The failure type.
    public typealias Failure = AnnalsError

    let store: EventStore
    /// The cursor name, if durable.
    public let name: String?
    /// Which events are delivered.
    public let filter: EventFilter
    /// Where it starts when the cursor is new (or for an anonymous subscription), as given to
    /// ``EventStore/subscribe(_:filter:start:)``: ``SubscriptionStart/end`` stays `.end` here, and ``startOffset`` is
    /// the offset it stood for then. ``startPoint()`` tells the offset (and cursor) an iteration actually starts from.
    public let start: SubscriptionStart
    /// The offset ``start`` stands for, fixed when ``EventStore/subscribe(_:filter:start:)`` made the subscription:
    /// 0 for ``SubscriptionStart/beginning``, the offset of ``SubscriptionStart/after(_:)``, and for
    /// ``SubscriptionStart/end`` the durable offset then (so `.end` delivers the events that become durable after
    /// `subscribe`, not only those after the first `next()`). A new cursor is created there; a named subscription
    /// whose cursor exists starts from the cursor instead (``startPoint()``).
    public let startOffset: UInt64
    /// The start points of its iterations, shared by its copies (a `for` loop iterates a copy).
    let startPoints = SubscriptionStartPoints()

    /// Creates the iterator; its first `next()` resolves where it starts (``startPoint()``, unless one resolved
    /// ahead is waiting for it): a named subscription reads its cursor, and on a writable store saves a new cursor
    /// there at its start (an `.after` offset past the log's last one then fails with
    /// ``AnnalsError/invalidArgument(_:)``, as ``EventStore/createCursor(_:at:)`` does).
    public func makeAsyncIterator() -> Iterator {
        Iterator(subscription: self)
    }

    /// Delivers events in offset order.
    public struct Iterator: AsyncIteratorProtocol {
        /// The element type.
        public typealias Element = RecordedEvent
        /// The failure type: `for try await` over a subscription throws ``AnnalsError`` (inside
        /// `do throws(AnnalsError) { … }`, its `catch` gets it typed).
        public typealias Failure = AnnalsError
        private let subscription: Subscription
        private var position: UInt64?
        private var buffer: [RecordedEvent] = []
        private var index = 0
        /// Kept across chunks: it owns the decompression context and buffer.
        private let decoder: BatchDecoder
        /// How many events one read fetches at most.
        static let chunkSize = 1024

        init(subscription: Subscription) {
            self.subscription = subscription
            self.decoder = BatchDecoder(store: subscription.store)
        }

        /// How far the log has been read: events up to this offset have been delivered, skipped by the filter, or
        /// are buffered for delivery. It can run ahead of the last delivered event, so acknowledge the offsets of
        /// delivered events, not this.
        public var lastPosition: UInt64? { position }

        /// A named subscription's cursor as this iterator's first `next()` read (or created) it, in the same
        /// transaction as the position it started from; `nil` before then and for an anonymous subscription. Pass its
        /// ``SubscriberCursor/resets`` to ``EventStore/acknowledge(_:through:expectingResets:)`` so that a reset or
        /// deletion of the cursor since is not undone. A `for` loop hides its iterator: read
        /// ``Subscription/startCursor`` or ``Subscription/startPoint()`` instead.
        public private(set) var startCursor: SubscriberCursor?

        /// The next event, waiting for one if needed; `nil` once the task is cancelled (also when events are
        /// buffered). Throws ``AnnalsError/closed`` once the store is closed (also when events are buffered).
        public mutating func next() async throws(AnnalsError) -> RecordedEvent? {
            try await next(isolation: nil)
        }

        /// The next event, waiting for one if needed; `nil` once the task is cancelled.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(AnnalsError) -> RecordedEvent? {
            let store = subscription.store
            if position == nil {
                let start = try await subscription.beginIteration()
                position = start.offset
                startCursor = start.cursor
            }
            while true {
                // Before the buffer too: a refill holds up to 2,047 events (and about 32 MiB decoded), which a
                // cancelled consumer must not get (they were not acknowledged, so a new subscription delivers them
                // again).
                if Task.isCancelled { return nil }
                // Likewise after a close: the buffered events can no longer be acknowledged, and would be
                // delivered again after the next open.
                if store.isClosed { throw .closed }
                if index < buffer.count {
                    defer { index += 1 }
                    return buffer[index]
                }
                let seen = store.durableChanges.wakeWord
                let durable = try store.head().durableOffset
                if durable > position! {
                    try fetch(through: durable)
                } else {
                    await store.durableChanges.wait(seen: seen)
                }
            }
        }

        /// Reads the next events after `position` through `durable` straight into the buffer: at most
        /// ``chunkSize`` matching events, each read transaction covering at most ``chunkSize`` candidates, and no
        /// further read transaction once those read come to ``ReadPlan/maximumChunkBytes`` decoded, so that a buffer
        /// of large events that compress well holds about that many bytes, not a thousand such events. The buffer
        /// may then be empty (every event read was filtered out): `position` still moves past what was read.
        private mutating func fetch(through durable: UInt64) throws(AnnalsError) {
            let store = subscription.store
            let filter = subscription.filter
            let query = filter.query(after: position!, through: durable)
            buffer.removeAll(keepingCapacity: true)
            index = 0
            var lastRead = position!
            var exhausted = false
            var decodedBytes = 0
            do {
                var plan = try ReadPlan.make(for: query, store: store)
                while buffer.count < Self.chunkSize && decodedBytes < ReadPlan.maximumChunkBytes && !exhausted {
                    var chunk = try store.environment.read { txn in
                        try plan.fetch(Self.chunkSize, txn, query: query, store: store, decoder: decoder)
                    }
                    if let last = chunk.events.last { lastRead = last.offset }
                    decodedBytes += chunk.decodedBytes
                    chunk.events.removeAll { !query.matches($0) || !filter.matches($0) }
                    if buffer.isEmpty { buffer = chunk.events } else { buffer += chunk.events }
                    if let failure = chunk.failure {
                        // Deliver the events before the damaged record; the next read fails on it again.
                        if buffer.isEmpty { throw failure }
                        break
                    }
                    exhausted = chunk.exhausted
                }
            } catch {
                // A later read failed (the storage, a full reader table): the events of the earlier ones are delivered
                // first, with `position` after them, and the next refill meets the failure again. Thrown with them
                // still buffered and `position` left before them, a consumer that called `next()` again would get
                // them twice.
                guard !buffer.isEmpty else { throw AnnalsError(error) }
                position = lastRead
                return
            }
            // An exhausted read covered everything through `durable`; otherwise it stops at the last event read.
            position = exhausted ? durable : lastRead
        }
    }
}

extension EventStore {
    /// A live subscription: the events matching `filter`, from the cursor `name` (or `start`) onwards, then live.
    /// - Parameters:
    ///   - name: A durable cursor name (1–128 of `[A-Za-z0-9_.:-]`), or `nil` for an anonymous subscription.
    ///   - filter: Which events to deliver.
    ///   - start: Where to start when the cursor has never been acknowledged.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for a malformed cursor name or type pattern, and for an anonymous
    ///   subscription's ``SubscriptionStart/after(_:)`` offset past the log's last offset (a named one's is refused
    ///   by its first `next()`, when the cursor it would create is missing).
    public func subscribe(
        _ name: String? = nil, filter: EventFilter = EventFilter(), start: SubscriptionStart = .beginning
    ) throws(AnnalsError) -> Subscription {
        if let name { try SubscriberCursor.validate(name: name) }
        try EventFilter.checkPatterns(filter.types)
        if name == nil { try start.check(in: self) }
        // `.end` means the end as of now, not as of the first read.
        let startOffset = try start.offset(in: self)
        return Subscription(store: self, name: name, filter: filter, start: start, startOffset: startOffset)
    }
}
