import LMDB

extension EventStore {
    /// Reads up to `limit` events after `offset` in `txn` and turns those that pass `include` into
    /// ``ProjectedEvent``s (metadata parsed, on the decoding workers), for replaying into projections. Returns them
    /// with the offset of the last record read. Stops with the record's error at the first damaged record.
    /// `parallel: false` decodes on the calling thread.
    func projectedEvents(
        after offset: UInt64, through last: UInt64 = .max, limit: Int, decoder: BatchDecoder,
        parallel: Bool = true, including include: @Sendable (RecordedEvent) -> Bool = { _ in true },
        _ txn: borrowing Transaction
    ) throws -> (events: [ProjectedEvent], last: UInt64?) {
        var records: [(offset: UInt64, record: UnsafeRawBufferPointer)] = []
        records.reserveCapacity(min(limit, 8192))
        try txn.withCursor(schema.events) { cursor in
            var entry = try cursor.seek(.setRange, to: (offset + 1).bigEndianBytes)
            while let current = entry, records.count < limit {
                guard current.key.count == 8 else {
                    throw AnnalsError.corruptRecord(offset: 0, reason: "an events key is not 8 bytes")
                }
                let at = UInt64(bigEndianBytes: current.key)
                if at > last { break }
                records.append((at, current.value))
                entry = try cursor.get(.next)
            }
        }
        let (events, failure) = decoder.decodeProjected(records, txn, parallel: parallel, including: include)
        if let failure { throw failure }
        return (events, records.last?.offset)
    }
}
