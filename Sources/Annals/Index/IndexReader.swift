import LMDB

/// Reads one secondary index as a whole: the merged posting lists, then the delta records after them.
struct IndexReader {
    let schema: StoreSchema

    /// Entries of `symbol` in `kind`.
    func count(_ txn: borrowing Transaction, _ kind: IndexKind, _ symbol: [UInt8]) throws -> UInt64 {
        try schema.postings(kind).count(txn, symbol: symbol) + schema.delta.count(txn, kind: kind, symbol: symbol)
    }

    /// Up to `limit` offsets of `symbol` above `after`, ascending.
    func offsets(
        _ txn: borrowing Transaction, _ kind: IndexKind, _ symbol: [UInt8], after: UInt64, limit: Int
    ) throws -> [UInt64] {
        var out = try schema.postings(kind).offsets(txn, symbol: symbol, after: after, limit: limit)
        if out.count < limit {
            let recent = try schema.delta.offsets(txn, kind: kind, symbol: symbol, after: max(after, out.last ?? 0))
            out.append(contentsOf: recent.prefix(limit - out.count))
        }
        return out
    }

    /// Up to `limit` offsets of `symbol` below `before`, descending.
    func offsets(
        _ txn: borrowing Transaction, _ kind: IndexKind, _ symbol: [UInt8], before: UInt64, limit: Int
    ) throws -> [UInt64] {
        var out = Array(
            try schema.delta.offsets(txn, kind: kind, symbol: symbol).reversed().lazy.filter { $0 < before }.prefix(
                limit))
        if out.count < limit {
            let below = min(before, out.last ?? before)
            out += try schema.postings(kind).offsets(txn, symbol: symbol, before: below, limit: limit - out.count)
        }
        return out
    }

    /// The offset of the entry with rank `rank` (from 1): for a target, the event with that stream version.
    func offset(_ txn: borrowing Transaction, _ kind: IndexKind, _ symbol: [UInt8], rank: UInt64) throws -> UInt64? {
        let index = schema.postings(kind)
        let merged = try index.count(txn, symbol: symbol)
        if rank <= merged { return try index.offset(txn, symbol: symbol, rank: rank) }
        let recent = try schema.delta.offsets(txn, kind: kind, symbol: symbol)
        // Compared as UInt64: a rank far past the entries (a caller's `fromVersion: .max`) does not fit in an Int.
        let position = rank - merged - 1
        return position < UInt64(recent.count) ? recent[Int(position)] : nil
    }

    /// Every symbol of `kind` with its entry count; `recent` is the decoded delta log (``DeltaLog/all(_:)``), passed
    /// in so that counting several kinds decodes it once.
    func symbolCounts(
        _ txn: borrowing Transaction, _ kind: IndexKind, recent: CommitPostings
    ) throws -> [[UInt8]: UInt64] {
        var counts = try schema.postings(kind).symbolCounts(txn)
        for (symbol, offsets) in recent.postings(kind) {
            counts[symbol, default: 0] += UInt64(offsets.count)
        }
        return counts
    }
}
