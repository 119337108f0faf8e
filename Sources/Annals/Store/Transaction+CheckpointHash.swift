import LMDB

/// How the whole hash a checkpoint record stores compares with the hash its payload and the records before it give.
enum CheckpointHash: Equatable {
    /// They agree (or there is no checkpoint: offset 0 is the genesis hash).
    case holds
    /// A record on the way is missing or cannot be read, or has no whole hash where it must: `verify` reports it.
    case unknown
    /// The stored hash is not the chain's: the hash was changed, or the record's payload was.
    case differs(stored: ChainHash, computed: ChainHash)
}

extension Transaction {
    /// Checks the whole hash stored by the checkpoint record at `checkpoint` against the hash recomputed from the
    /// checkpoint before it (at most 1,024 records): what every hash the records give after it rests on, so a head
    /// whose hash comes from a checkpoint forged together with `meta`'s `chain.head` is not handed out as an anchor.
    func checkpointHash(at checkpoint: UInt64, _ schema: StoreSchema, decoder: RecordDecoder) throws -> CheckpointHash {
        guard checkpoint > 0 else { return .holds }
        guard let previous = try recomputedChainHash(at: checkpoint - 1, schema, decoder: decoder),
            let record = try withUnsafeBytes(of: checkpoint.bigEndian, { key in try get(schema.events, key: key) })
        else { return .unknown }
        do {
            return try decoder.withPayload(record, self) { header, payload -> CheckpointHash in
                guard let stored = header.link.hash else { return .unknown }
                let computed = previous.next(offset: checkpoint, payload: payload)
                return computed == stored ? .holds : .differs(stored: stored, computed: computed)
            }
        } catch {
            return .unknown
        }
    }
}
