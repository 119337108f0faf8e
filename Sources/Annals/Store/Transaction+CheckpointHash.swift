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

extension Transaction {
    /// Checks the whole hash stored by the checkpoint record at `checkpoint` against the hash recomputed from the
    /// checkpoint before it (at most 1,024 records, each of whose links is checked on the way): what every hash the
    /// records give after it rests on, so a head whose hash comes from a checkpoint forged together with `meta`'s
    /// `chain.head` is not handed out as an anchor.
    func checkpointHash(at checkpoint: UInt64, _ schema: StoreSchema, decoder: RecordDecoder) throws -> CheckpointHash {
        guard checkpoint > 0 else { return .holds }
        let start = checkpoint - RecordHeader.checkpointInterval
        return try withCursor(schema.events) { cursor -> CheckpointHash in
            var hash = ChainHash.genesis
            var expected = max(start, 1)
            var entry = try cursor.seek(.setRange, to: expected.bigEndianBytes)
            while expected <= checkpoint {
                guard let current = entry, current.key.count == 8, UInt64(bigEndianBytes: current.key) == expected,
                    let header = try? RecordHeader.read(current.value)
                else { return .unknown }
                if expected == start {
                    // The checkpoint before: its stored hash starts the chain (`verify` checks it against its own).
                    guard let stored = header.link.hash else { return .unknown }
                    hash = stored
                } else {
                    let previous = hash
                    do {
                        hash = try decoder.withPayload(current.value, self) { _, payload in
                            previous.next(offset: expected, payload: payload)
                        }
                    } catch {
                        return .unknown
                    }
                    if expected == checkpoint {
                        guard let stored = header.link.hash else { return .unknown }
                        return stored == hash ? .holds : .differs(stored: stored, computed: hash)
                    }
                    if !header.matches(hash) { return .unknown }
                }
                expected += 1
                entry = try cursor.get(.next)
            }
            return .unknown
        }
    }
}
