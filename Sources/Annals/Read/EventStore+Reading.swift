import Foundation
import LMDB

/// The head of the log: its last offset and chain hash, and how much of it is durable.
public struct LogHead: Sendable, Hashable {
    /// The last committed offset (0 for an empty log).
    public var offset: UInt64
    /// The chain hash of the record at ``offset`` (the genesis hash, 32 zero bytes, for an empty log).
    public var hash: ChainHash
    /// The highest offset known to be durable (never above ``offset``).
    public var durableOffset: UInt64

    /// `HASH@OFFSET`, the form `annals verify --anchor` takes.
    public var anchor: String { "\(hash.hex)@\(offset)" }
}

extension EventStore {
    func makeDecoder() -> RecordDecoder {
        RecordDecoder(registry: registry, identity: identity, maximumEventSize: options.maximumEventSize)
    }

    /// The stored record at `offset` inside an open transaction (valid until it ends), or `nil`.
    func record(at offset: UInt64, _ txn: borrowing Transaction) throws -> UnsafeRawBufferPointer? {
        try withUnsafeBytes(of: offset.bigEndian) { key in try txn.get(schema.events, key: key) }
    }

    /// Reads the event at `offset` inside an open transaction.
    func event(at offset: UInt64, _ txn: borrowing Transaction, decoder: RecordDecoder) throws -> RecordedEvent? {
        try offset.bigEndianBytes.withUnsafeBytes { key in
            guard let record = try txn.get(schema.events, key: key) else { return nil }
            return try decoder.decode(offset: offset, record, txn)
        }
    }

    /// The event at `offset`, or `nil` when the log has no such offset.
    /// - Throws: ``AnnalsError/corruptRecord(offset:reason:)`` when the record is damaged.
    public func event(at offset: UInt64) throws(AnnalsError) -> RecordedEvent? {
        let decoder = makeDecoder()
        do {
            return try environment.read { txn in try event(at: offset, txn, decoder: decoder) }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// The offset that `id` names: the one an assigned id is made from, or a client id's entry in `ids`; `nil` when
    /// there is none (the event there must still be checked to carry `id`).
    func offset(of id: UUID, _ txn: borrowing Transaction) throws -> UInt64? {
        if let assigned = identity.offset(ofAssigned: id) { return assigned }
        guard let stored = try txn.get(schema.ids, key: id.bytes), stored.count == 16 else { return nil }
        return stored.withUnsafeBytes { UInt64(bigEndianBytes: $0) }
    }

    /// The event with `id`, or `nil`.
    public func event(id: UUID) throws(AnnalsError) -> RecordedEvent? {
        let decoder = makeDecoder()
        do {
            return try environment.read { txn -> RecordedEvent? in
                guard let offset = try offset(of: id, txn),
                    let event = try event(at: offset, txn, decoder: decoder), event.id == id
                else { return nil }
                return event
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// The events matching `query`, read lazily in short transactions. Once the store is closed, the sequence's next
    /// `next()` throws ``AnnalsError/closed``, even with events buffered (``EventReader/next()``).
    public func events(_ query: EventQuery = EventQuery()) -> EventSequence {
        EventSequence(store: self, query: query)
    }

    /// The events of the target stream `targetId` from version `fromVersion` on, in version order (none when the
    /// stream has fewer versions, or when `targetId` is an id no event can have, such as the empty string).
    public func stream(_ targetId: String, fromVersion: UInt64 = 1) throws(AnnalsError) -> EventSequence {
        var query = EventQuery(targetId: targetId)
        if fromVersion > 1 && !Self.canBeStoredIdentifier(targetId) {
            query.from = .max
        } else if fromVersion > 1 {
            do {
                let symbol = targetId.indexSymbol
                let offset = try environment.read { txn in
                    try IndexReader(schema: schema).offset(txn, .target, symbol, rank: fromVersion)
                }
                query.from = offset ?? .max
            } catch {
                throw AnnalsError(error)
            }
        }
        return events(query)
    }

    /// The current version of the target stream `targetId` (0 when it has no events, and for an id no event can
    /// have, such as the empty string).
    public func version(of targetId: String) throws(AnnalsError) -> UInt64 {
        // LMDB refuses an empty key or one over 511 bytes: such an id names no stream rather than a storage error.
        guard Self.canBeStoredIdentifier(targetId) else { return 0 }
        do {
            return try environment.read { txn in
                try txn.get(schema.streams, key: targetId.indexSymbol).map {
                    $0.withUnsafeBytes { UInt64(bigEndianBytes: $0) }
                }
                    ?? 0
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// The last offset, its chain hash and the durable watermark.
    ///
    /// A tagged head's hash is `meta`'s, checked against the record's tag; ``checkedHead()`` checks it whole.
    public func head() throws(AnnalsError) -> LogHead {
        do {
            let (offset, hash) = try environment.read { txn in try txn.logHead(schema) }
            return logHead(offset: offset, hash: hash)
        } catch {
            throw AnnalsError(error)
        }
    }

    /// ``head()``, with the head's hash checked whole against the records: the head to print as an anchor.
    ///
    /// ``head()`` compares the hash in `meta` (`chain.head`) with the head record's 16-byte tag only; this also
    /// recomputes it from the checkpoint at or before the head (at most 1,023 records), so that damage to the rest
    /// of it is not handed out as an anchor the log does not have. That checkpoint's own stored hash is checked too,
    /// recomputed from the checkpoint before it (at most 1,024 more records): the head's hash rests on it, so a
    /// checkpoint hash forged together with `meta`'s is refused as well. When a record on the way cannot be read
    /// (or, before the checkpoint, sits on a damaged page, or fails its own link), `meta`'s hash is taken, as by
    /// ``head()`` (`verify` reports the record). The pages it reads are checked first (``checkLogPages(offsets:)``).
    /// - Throws: ``AnnalsError/corruptRecord(offset:reason:)`` when the head does not check out, as ``head()`` does,
    ///   or its recomputed hash differs from `meta`'s, or the checkpoint's stored hash from the one its record and
    ///   the records before it give; ``AnnalsError/storage(_:)``, with `LMDBError.Code.corrupted` for a damaged page.
    public func checkedHead() throws(AnnalsError) -> LogHead {
        try checkLogPages(offsets: [])
        let last = try lastOffset()
        try checkLogPages(offsets: [RecordHeader.checkpoint(atOrBefore: last)...last])
        let head: (offset: UInt64, hash: ChainHash)
        do {
            let decoder = makeDecoder()
            head = try environment.read { txn in try txn.checkedLogHead(schema, decoder: decoder) }
        } catch {
            throw AnnalsError(error)
        }
        let checkpoint = RecordHeader.checkpoint(atOrBefore: head.offset)
        if case .differs(let stored, let computed) = try checkedCheckpointHash(at: checkpoint) {
            throw .corruptRecord(
                offset: checkpoint,
                reason: "the checkpoint's stored chain hash \(stored.hex) is not the hash its record and the records "
                    + "before it give (\(computed.hex)), and the head's hash rests on it: the hash or the record was "
                    + "changed")
        }
        return logHead(offset: head.offset, hash: head.hash)
    }

    /// ``Transaction/checkpointHash(at:_:decoder:)`` of the checkpoint at `checkpoint`, once the pages it reads are
    /// checked: damage there leaves the hash unconfirmed (``CheckpointHash/unknown``), as an unreadable record does
    /// (`verify` reports it), rather than refusing what rests on it.
    /// - Throws: ``AnnalsError/storage(_:)`` when LMDB fails.
    func checkedCheckpointHash(at checkpoint: UInt64) throws(AnnalsError) -> CheckpointHash {
        guard checkpoint > 0 else { return .holds }
        do {
            try checkLogPages(offsets: [checkpoint - RecordHeader.checkpointInterval...checkpoint])
        } catch .storage(let failure) where failure.code == .corrupted {
            return .unknown
        }
        let decoder = makeDecoder()
        do {
            return try environment.read { txn in try txn.checkpointHash(at: checkpoint, schema, decoder: decoder) }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// The last offset in the log, read without the checks ``head()`` makes of the head's hash: for tools that read a
    /// log whose tail may have been cut (``head()`` then throws), such as a replay of what is left.
    /// - Throws: ``AnnalsError/corruptRecord(offset:reason:)`` for a last key that is no offset's,
    ///   ``AnnalsError/storage(_:)``.
    public func lastOffset() throws(AnnalsError) -> UInt64 {
        do {
            return try environment.read { txn in try txn.lastOffset(schema) }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// The head at `offset` with `hash`, durable as far as ``durableOffset(upTo:)`` says.
    func logHead(offset: UInt64, hash: ChainHash) -> LogHead {
        LogHead(offset: offset, hash: hash, durableOffset: durableOffset(upTo: offset))
    }

    /// How much of the log through `offset` (a head just read) is durable: the watermark, at most `offset`; all of
    /// it without a watermark file. Read after the head, so that a writer's commits in between are covered by the
    /// watermark file it created first (``WatermarkSource/durableOffset(upTo:)``).
    func durableOffset(upTo offset: UInt64) -> UInt64 {
        watermarkSource.durableOffset(upTo: offset)
    }

    /// The highest durable offset: events at or below it survive a power loss.
    public var durableOffset: UInt64 {
        (try? head().durableOffset) ?? 0
    }

    /// The commit sequence number from the watermark file; it changes after every commit by any process.
    public var commitSequence: UInt64 {
        watermark?.commitSequence ?? 0
    }

    /// Whether an event could carry `identifier` as its `actorId`, `targetId` or `groupId` as far as its length goes
    /// (1 to ``EventValidation/maximumIdentifierLength`` bytes once in NFC): what an index or `streams` key can be.
    static func canBeStoredIdentifier(_ identifier: String) -> Bool {
        (1...EventValidation.maximumIdentifierLength).contains(identifier.indexSymbol.count)
    }
}
