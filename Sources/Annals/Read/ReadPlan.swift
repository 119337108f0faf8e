import LMDB

/// How a query walks the log, and where it stopped: a resumable position between chunks.
///
/// The planner picks the most selective posting list among the query's indexed filters (target, a single type,
/// actor, group), the time index for a time range alone, or a scan of the log by offset. Every remaining filter is
/// applied to the decoded events.
enum ReadPlan {
    /// Walk the `events` database; `position` is the next offset to read (forward) or the one above it (reverse).
    case scan(position: UInt64)
    /// Walk a posting list; `position` is the last offset returned (forward) or the one before which to continue.
    case postings(index: PostingIndex, symbol: [UInt8], position: UInt64)
    /// Read a precomputed, ordered list of offsets (from the time index).
    case offsets([UInt64], next: Int)

    static func make(for query: EventQuery, store: EventStore) throws -> ReadPlan {
        let schema = store.schema
        let start: UInt64 = query.reverse ? (query.to == .max ? .max : query.to + 1) : query.from &- 1
        return try store.environment.read { txn in
            var candidates: [(PostingIndex, [UInt8])] = []
            if let target = query.targetId { candidates.append((schema.byTarget, Array(target.utf8))) }
            if query.types.count == 1 { candidates.append((schema.byType, Array(query.types[0].utf8))) }
            if let actor = query.actorId { candidates.append((schema.byActor, Array(actor.utf8))) }
            if let group = query.groupId { candidates.append((schema.byGroup, Array(group.utf8))) }
            if !candidates.isEmpty {
                var best = candidates[0]
                var bestCount = try best.0.count(txn, symbol: best.1)
                for candidate in candidates.dropFirst() {
                    let count = try candidate.0.count(txn, symbol: candidate.1)
                    if count < bestCount {
                        best = candidate
                        bestCount = count
                    }
                }
                return .postings(index: best.0, symbol: best.1, position: start)
            }
            if query.since != nil || query.until != nil {
                return .offsets(try timeRangeOffsets(query, schema: schema, txn), next: 0)
            }
            return .scan(position: query.reverse ? start : query.from)
        }
    }

    /// The offsets of events whose timestamps fall in the query's range, in read order, from the time index.
    private static func timeRangeOffsets(
        _ query: EventQuery, schema: StoreSchema, _ txn: borrowing Transaction
    ) throws -> [UInt64] {
        let since = max(query.since ?? 0, 0)
        // The last timestamp included: `until` is exclusive; without it, everything up to Int64.max.
        let last: Int64
        if let until = query.until {
            guard until > since else { return [] }
            last = until - 1
        } else {
            last = .max
        }
        var offsets: [UInt64] = []
        try txn.withCursor(schema.byTime.database) { cursor in
            var entry = try cursor.seek(.setRange, to: Postings.minute(of: since).bigEndianBytes)
            while let current = entry, current.key.count == 17 {
                let minute = UInt64(bigEndianBytes: current.key)
                if minute > Postings.minute(of: last) { break }
                let first = UInt64(bigEndianBytes: current.key, at: 9)
                for e in try PostingBlock.entries(firstOffset: first, stored: current.value, withExtra: true) {
                    let timestamp = Int64(minute * 60_000 + e.extra)
                    if timestamp >= since && timestamp <= last && e.offset >= query.from && e.offset <= query.to {
                        offsets.append(e.offset)
                    }
                }
                entry = try cursor.get(.next)
            }
        }
        offsets.sort()
        if query.reverse { offsets.reverse() }
        return offsets
    }

    /// Reads up to `count` candidate events into `sink` and advances; returns whether the plan is exhausted.
    mutating func fetch(
        _ count: Int, _ txn: borrowing Transaction, query: EventQuery, store: EventStore, decoder: RecordDecoder,
        _ sink: (RecordedEvent) -> Void
    ) throws -> Bool {
        switch self {
        case .scan(let position):
            var next = position
            let exhausted = try txn.withCursor(store.schema.events) { cursor -> Bool in
                var entry: Cursor.Entry?
                if !query.reverse {
                    entry = try cursor.seek(.setRange, to: position.bigEndianBytes)
                } else if position != .max, try cursor.seek(.setRange, to: position.bigEndianBytes) != nil {
                    entry = try cursor.get(.previous)
                } else {
                    entry = try cursor.get(.last)
                }
                var read = 0
                while let current = entry {
                    guard current.key.count == 8 else {
                        throw AnnalsError.corruptRecord(offset: 0, reason: "a key of \(current.key.count) bytes")
                    }
                    let offset = UInt64(bigEndianBytes: current.key)
                    if query.reverse ? offset < query.from : offset > query.to { return true }
                    if read == count { return false }
                    sink(try decoder.decode(offset: offset, current.value, txn))
                    read += 1
                    next = query.reverse ? offset : offset + 1
                    entry = try cursor.get(query.reverse ? .previous : .next)
                }
                return true
            }
            self = .scan(position: next)
            return exhausted
        case .postings(let index, let symbol, let position):
            let entries =
                query.reverse
                ? try index.entries(txn, symbol: symbol, before: position, limit: count)
                : try index.entries(txn, symbol: symbol, after: position, limit: count)
            var last = position
            for entry in entries {
                if query.reverse ? entry.offset < query.from : entry.offset > query.to { return true }
                guard let event = try store.event(at: entry.offset, txn, decoder: decoder) else {
                    throw AnnalsError.corruptRecord(
                        offset: entry.offset, reason: "indexed in \(index.database.name) but missing from the log")
                }
                sink(event)
                last = entry.offset
            }
            self = .postings(index: index, symbol: symbol, position: last)
            return entries.count < count
        case .offsets(let offsets, let next):
            let end = min(offsets.count, next + count)
            for offset in offsets[next..<end] {
                if let event = try store.event(at: offset, txn, decoder: decoder) { sink(event) }
            }
            self = .offsets(offsets, next: end)
            return end == offsets.count
        }
    }
}
