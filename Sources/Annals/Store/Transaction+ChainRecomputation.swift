import LMDB

/// How the whole hash a checkpoint record stores compares with the hash its payload and the records before it give.
enum CheckpointHash: Equatable {
    /// They agree (or there is no checkpoint: offset 0 is the genesis hash).
    case holds
    /// It cannot be told: a record on the way is missing, unreadable or without the whole hash it must carry, or
    /// one before the checkpoint fails its own link (that record changed, which `verify` reports at it).
    case unknown
    /// The records before it all link, and the stored hash is not the chain's: the hash was changed, or the
    /// checkpoint's payload was.
    case differs(stored: ChainHash, computed: ChainHash)
}

/// The chain recomputed from the records themselves, never from `meta`'s `chain.head`.
extension Transaction {
    /// The whole chain hash of the record at `offset` from the records alone (never `meta`'s `chain.head`): the
    /// genesis hash for 0, the stored one at a checkpoint or in a record written before store format 3, otherwise
    /// recomputed from the checkpoint before it (the genesis hash before 1,024). `nil` when a record on the way is
    /// missing or unreadable.
    ///
    /// Stored tags on the way are not checked here: `verify` reports them.
    func recomputedChainHash(at offset: UInt64, _ schema: StoreSchema, decoder: RecordDecoder) throws -> ChainHash? {
        guard offset > 0 else { return .genesis }
        let checkpoint = RecordHeader.checkpoint(atOrBefore: offset)
        var hash: ChainHash? = .genesis
        let walked = try walkRecords(from: max(checkpoint, 1), through: offset, schema) { at, header, record in
            if let stored = header.link.hash {
                hash = stored
            } else if at == checkpoint {
                hash = nil  // a checkpoint must carry its whole hash
            } else {
                hash = hash.flatMap { linkedHash(record, at: at, from: $0, decoder: decoder) }
            }
            return hash != nil
        }
        return walked ? hash : nil
    }

    /// Checks the whole hash stored by the checkpoint record at `checkpoint` against the hash recomputed from the
    /// checkpoint before it (at most 1,024 records, each of whose links is checked on the way): what every hash the
    /// records give after it rests on, so a head whose hash comes from a checkpoint forged together with `meta`'s
    /// `chain.head` is not handed out as an anchor.
    func checkpointHash(at checkpoint: UInt64, _ schema: StoreSchema, decoder: RecordDecoder) throws -> CheckpointHash {
        guard checkpoint > 0 else { return .holds }
        let start = checkpoint - RecordHeader.checkpointInterval
        var hash = ChainHash.genesis
        var outcome = CheckpointHash.unknown
        _ = try walkRecords(from: max(start, 1), through: checkpoint, schema) { at, header, record in
            if at == start {
                // The checkpoint before: its stored hash starts the chain (`verify` checks it against its own).
                guard let stored = header.link.hash else { return false }
                hash = stored
                return true
            }
            guard let linked = linkedHash(record, at: at, from: hash, decoder: decoder) else { return false }
            hash = linked
            guard at == checkpoint else { return header.matches(linked) }
            if let stored = header.link.hash {
                outcome = stored == linked ? .holds : .differs(stored: stored, computed: linked)
            }
            return false
        }
        return outcome
    }

    /// Walks the records `first...last` with one cursor, handing `body` each one's offset, header and stored bytes
    /// while it returns `true`. Returns whether every record was handed over: `false` when `body` stopped, or a
    /// record on the way is missing or its header does not read.
    private func walkRecords(
        from first: UInt64, through last: UInt64, _ schema: StoreSchema,
        _ body: (UInt64, RecordHeader, UnsafeRawBufferPointer) throws -> Bool
    ) throws -> Bool {
        try withCursor(schema.events) { cursor -> Bool in
            var expected = first
            var entry = try cursor.seek(.setRange, to: expected.bigEndianBytes)
            while expected <= last {
                guard let current = entry, current.key.count == 8, UInt64(bigEndianBytes: current.key) == expected,
                    let header = try? RecordHeader.read(current.value), try body(expected, header, current.value)
                else { return false }
                expected += 1
                entry = try cursor.get(.next)
            }
            return true
        }
    }

    /// The chain hash of `record`, at `offset`, linked from `previous`; `nil` when its payload does not read.
    private func linkedHash(
        _ record: UnsafeRawBufferPointer, at offset: UInt64, from previous: ChainHash, decoder: RecordDecoder
    ) -> ChainHash? {
        try? decoder.withPayload(record, self) { _, payload in previous.next(offset: offset, payload: payload) }
    }
}
