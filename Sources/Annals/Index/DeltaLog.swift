import LMDB

/// The recent, not yet merged part of the secondary indexes: one record per commit in `idx.delta`, keyed by the
/// commit's first offset, appended in the commit's transaction.
///
/// Writing a commit's postings as one appended record keeps a commit's dirty pages few, whatever the number of
/// actors or targets it touches; rewriting each touched posting list on every commit would dirty a page per symbol.
/// Every ``StoreOptions/indexMergeInterval`` events the writer merges the delta records into the posting lists
/// (``PostingIndex``) in one transaction, touching each symbol once. Readers combine both parts: the posting lists
/// cover offsets up to the merge point (`meta` key `index.mergedThrough`), the delta records everything after it.
struct DeltaLog: Sendable {
    let database: Database

    /// Appends the record of a commit.
    func append(_ txn: borrowing Transaction, firstOffset: UInt64, postings: CommitPostings) throws {
        try txn.put(
            database, key: firstOffset.bigEndianBytes, value: postings.encoded(firstOffset: firstOffset), flags: .append
        )
    }

    /// The offsets of `symbol` in the delta records, ascending, above `after`.
    func offsets(
        _ txn: borrowing Transaction, kind: IndexKind, symbol: [UInt8], after: UInt64 = 0
    ) throws -> [UInt64] {
        var out: [UInt64] = []
        try forEachRecord(txn) { firstOffset, record in
            try CommitPostings.decode(
                record, firstOffset: firstOffset,
                { k, s, _ in k == kind && s.elementsEqual(symbol) },
                offsets: { _, _, offsets in out.append(contentsOf: offsets.lazy.filter { $0 > after }) })
        }
        return out
    }

    /// How many entries `symbol` has in the delta records.
    func count(_ txn: borrowing Transaction, kind: IndexKind, symbol: [UInt8]) throws -> UInt64 {
        var total: UInt64 = 0
        try forEachRecord(txn) { firstOffset, record in
            try CommitPostings.decode(
                record, firstOffset: firstOffset,
                { k, s, count in
                    if k == kind && s.elementsEqual(symbol) { total += UInt64(count) }
                    return false
                }, offsets: { _, _, _ in })
        }
        return total
    }

    /// Every delta record, decoded into one set of postings (offsets ascending per symbol).
    func all(_ txn: borrowing Transaction) throws -> CommitPostings {
        var merged = CommitPostings()
        try forEachRecord(txn) { firstOffset, record in
            try CommitPostings.decode(
                record, firstOffset: firstOffset, { _, _, _ in true },
                offsets: { kind, symbol, offsets in merged.add(kind: kind, symbol: symbol, offsets: offsets) })
        }
        return merged
    }

    private func forEachRecord(
        _ txn: borrowing Transaction, _ body: (UInt64, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try txn.withCursor(database) { cursor in
            var entry = try cursor.get(.first)
            while let current = entry {
                guard current.key.count == 8 else {
                    throw RecordFormatError.malformedEnvelope("an index delta key of \(current.key.count) bytes")
                }
                try body(UInt64(bigEndianBytes: current.key), current.value)
                entry = try cursor.get(.next)
            }
        }
    }

    /// Moves every delta record into the posting lists and records the merge point; returns it.
    func merge(_ txn: borrowing Transaction, schema: StoreSchema) throws -> UInt64 {
        let head = try txn.lastOffset(schema)
        let postings = try all(txn)
        for kind in IndexKind.allCases {
            let index = schema.postings(kind)
            for (symbol, offsets) in postings.postings(kind) {
                try index.append(txn, symbol: symbol, offsets: offsets)
            }
        }
        try txn.clear(database)
        try txn.setMetaU64(schema, MetaKey.indexMergedThrough, head)
        return head
    }
}
