import LMDB

extension EventStore {
    /// Reads up to `limit` events after `offset` in `txn` (fewer once they come to ``ReadPlan/maximumChunkBytes``
    /// decoded, at least one) and turns those that pass `include` into ``ProjectedEvent``s (metadata parsed, on the
    /// decoding workers), for replaying into projections. Returns them with the offset of the last record read. Stops
    /// with the record's error at the first damaged record.
    /// `parallel: false` decodes on the calling thread.
    func projectedEvents(
        after offset: UInt64, through last: UInt64 = .max, limit: Int, decoder: BatchDecoder,
        parallel: Bool = true, including include: @Sendable (RecordedEvent) -> Bool = { _ in true },
        _ txn: borrowing Transaction
    ) throws -> (events: [ProjectedEvent], last: UInt64?) {
        let records = try records(after: offset, through: last, limit: limit, txn)
        let (events, failure) = decoder.decodeProjected(records, txn, parallel: parallel, including: include)
        if let failure { throw failure }
        return (events, records.last?.offset)
    }

    /// Reads and decodes up to `limit` events after `offset` through `last` in `txn` (a write transaction's reads
    /// included), on every core: fewer once they come to ``ReadPlan/maximumChunkBytes`` decoded, at least one. Stops
    /// with the record's error at the first damaged record.
    func recordedEvents(
        after offset: UInt64, through last: UInt64, limit: Int, decoder: BatchDecoder, _ txn: borrowing Transaction
    ) throws -> [RecordedEvent] {
        let (events, failure) = decoder.decode(try records(after: offset, through: last, limit: limit, txn), txn)
        if let failure { throw failure }
        return events
    }

    /// The records after `offset` through `last`, in offset order, valid while `txn` is open: at most `limit`, and no
    /// more once they come to ``ReadPlan/maximumChunkBytes`` decoded (``RecordHeader/decodedSize(of:)``), as a read's
    /// chunk, so that a chunk of large events that compress well is not decoded whole (at least one record, whatever
    /// its size).
    private func records(after offset: UInt64, through last: UInt64, limit: Int, _ txn: borrowing Transaction) throws
        -> [(offset: UInt64, record: UnsafeRawBufferPointer)]
    {
        var records: [(offset: UInt64, record: UnsafeRawBufferPointer)] = []
        records.reserveCapacity(min(limit, 8192))
        var bytes = 0
        try txn.withCursor(schema.events) { cursor in
            var entry = try cursor.seek(.setRange, to: (offset + 1).bigEndianBytes)
            while let current = entry, records.count < limit, bytes < ReadPlan.maximumChunkBytes {
                let at = try StoreSchema.offset(ofKey: current.key)
                if at > last { break }
                records.append((at, current.value))
                bytes += RecordHeader.decodedSize(of: current.value)
                entry = try cursor.get(.next)
            }
        }
        return records
    }
}
