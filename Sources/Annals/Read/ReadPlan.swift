import LMDB

/// How a query walks the log, and where it stopped: a resumable position between chunks.
///
/// The planner picks the most selective posting list among the query's indexed filters (target, a single type,
/// actor, group), the posting lists of several types together when their events are less than half the range, the
/// time index for a time range alone (a scan between the range's first and last offsets when it holds more than
/// ``maximumListedOffsets`` events), or a scan of the log by offset. Every remaining filter is applied to the decoded
/// events.
enum ReadPlan {
    /// Walk the `events` database; `position` is the next offset to read (forward) or the one above it (reverse),
    /// `bound` the last offset to read (forward) or the lowest (reverse).
    case scan(position: UInt64, bound: UInt64)
    /// Walk a posting list; `position` is the last offset returned (forward) or the one before which to continue.
    case postings(kind: IndexKind, symbol: [UInt8], position: UInt64)
    /// Read a precomputed, ordered list of offsets (from the time index, or the posting lists of several types).
    case offsets([UInt64], next: Int)

    /// What to do about an index naming a record the log lacks.
    static let missingAdvice = "run 'annals verify --indexes', then 'annals reindex' if the log itself is intact"

    /// The most offsets a plan lists for a time range (8 MiB of them). A range holding more events is read by a scan
    /// of the log between its first and last offsets, so that memory stays bounded however long the log.
    static let maximumListedOffsets = 1 << 20

    /// The plan for `query`; `maximumListedOffsets` is lowered by tests.
    static func make(
        for query: EventQuery, store: EventStore, maximumListedOffsets: Int = maximumListedOffsets
    ) throws -> ReadPlan {
        let schema = store.schema
        let start: UInt64 = query.reverse ? (query.to == .max ? .max : query.to + 1) : max(query.from, 1) - 1
        try query.checkArguments()
        return try store.environment.read { txn in
            let index = IndexReader(schema: schema)
            // No type in the log matches the patterns: nothing to read.
            guard let query = try resolvingPatterns(query, index: index, txn) else { return .offsets([], next: 0) }
            let candidates = indexedFilters(of: query)
            if !candidates.isEmpty {
                var best = candidates[0]
                var bestCount = try index.count(txn, best.0, best.1)
                for candidate in candidates.dropFirst() {
                    let count = try index.count(txn, candidate.0, candidate.1)
                    if count < bestCount {
                        best = candidate
                        bestCount = count
                    }
                }
                return .postings(kind: best.0, symbol: best.1, position: start)
            }
            if mayReadTypeLists(query), let offsets = try typesOffsets(query, index: index, txn) {
                return .offsets(offsets, next: 0)
            }
            if query.since != nil || query.until != nil {
                return try timeRangePlan(query, index: index, txn, maximumListedOffsets: maximumListedOffsets)
            }
            return .scan(position: query.reverse ? start : query.from, bound: query.reverse ? query.from : query.to)
        }
    }

    /// The types of the log (in the type index and the delta log) that the types and patterns of `query` name, in
    /// byte order; empty when none does.
    static func resolvedTypes(
        of query: EventQuery, index: IndexReader, _ txn: borrowing Transaction
    ) throws -> [String] {
        let known = try index.symbolCounts(txn, .type, recent: try index.schema.delta.all(txn)).keys
        return known.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
            .filter { type in query.types.contains { EventQuery.type(type, matches: $0) } }
    }

    /// `query` with its type patterns replaced by the log's types they name (``resolvedTypes(of:index:_:)``), as
    /// planning and the page check of a read both need it; `query` itself without patterns, and `nil` when the
    /// patterns name no type (nothing to read).
    static func resolvingPatterns(
        _ query: EventQuery, index: IndexReader, _ txn: borrowing Transaction
    ) throws -> EventQuery? {
        guard query.hasTypePatterns else { return query }
        var resolved = query
        resolved.types = try resolvedTypes(of: query, index: index, txn)
        return resolved.types.isEmpty ? nil : resolved
    }

    /// The filters of `query` that one posting list serves, as (index, symbol): its target, its type when it names
    /// one, its actor and its group. The planner reads the shortest of their lists.
    static func indexedFilters(of query: EventQuery) -> [(IndexKind, [UInt8])] {
        var filters: [(IndexKind, [UInt8])] = []
        if let target = query.targetId { filters.append((.target, target.indexSymbol)) }
        if query.types.count == 1 { filters.append((.type, Array(query.types[0].utf8))) }
        if let actor = query.actorId { filters.append((.actor, actor.indexSymbol)) }
        if let group = query.groupId { filters.append((.group, group.indexSymbol)) }
        return filters
    }

    /// Whether the plan for `query` may read the posting lists of its several types together (``typesOffsets``):
    /// two or more types, and no other filter an index serves.
    static func mayReadTypeLists(_ query: EventQuery) -> Bool {
        query.types.count > 1 && indexedFilters(of: query).isEmpty && query.since == nil && query.until == nil
    }

    /// The offsets of the events of several types in the query's range, in read order, from their posting lists;
    /// `nil` when their lists (whole) are at least half as long as the range, which a scan of the log by offset then
    /// reads for less.
    private static func typesOffsets(
        _ query: EventQuery, index: IndexReader, _ txn: borrowing Transaction
    ) throws -> [UInt64]? {
        let first = max(query.from, 1)
        let last = min(query.to, try txn.lastOffset(index.schema))
        guard first <= last else { return [] }
        let symbols = Set(query.types).map { Array($0.utf8) }
        var listed: UInt64 = 0
        for symbol in symbols { listed += try index.count(txn, .type, symbol) }
        guard listed < (last - first + 1) / 2 else { return nil }
        // The types are the query's only filter here, so with a limit only that many of each list can be read.
        let cap = query.limit.map { max($0, 0) } ?? .max
        var offsets: [UInt64] = []
        for symbol in symbols {
            offsets +=
                query.reverse
                ? try index.offsets(txn, .type, symbol, before: last + 1, limit: cap).filter { $0 >= first }
                : try index.offsets(txn, .type, symbol, after: first - 1, limit: cap).prefix { $0 <= last }
        }
        offsets.sort()
        if query.reverse { offsets.reverse() }
        return Array(offsets.prefix(cap))
    }

    /// The plan for a time range read through the time index: the offsets of the events in the minutes the range
    /// touches, in read order (exact times are checked on the decoded events), or, when there are more than
    /// `maximumListedOffsets`, a scan from the first of them to the last (timestamps supplied by clients need not
    /// rise with offsets, so the range's events may be spread among others).
    private static func timeRangePlan(
        _ query: EventQuery, index: IndexReader, _ txn: borrowing Transaction, maximumListedOffsets: Int
    ) throws -> ReadPlan {
        var offsets: [UInt64] = []
        var listing = true
        var lowest = UInt64.max
        var highest: UInt64 = 0
        try forEachTimeRangeOffset(query, index: index, txn) { offset in
            lowest = min(lowest, offset)
            highest = max(highest, offset)
            guard listing else { return }
            if offsets.count < maximumListedOffsets {
                offsets.append(offset)
            } else {
                listing = false
                offsets = []
            }
        }
        guard lowest <= highest else { return .offsets([], next: 0) }
        guard listing else {
            return query.reverse
                ? .scan(position: highest == .max ? .max : highest + 1, bound: lowest)
                : .scan(position: lowest, bound: highest)
        }
        offsets.sort()
        if query.reverse { offsets.reverse() }
        return .offsets(offsets, next: 0)
    }

    /// Hands `body` the offsets, within the query's offset range, of the events in the minutes its time range
    /// touches, from the time index (merged minutes, then the delta log's): unordered.
    private static func forEachTimeRangeOffset(
        _ query: EventQuery, index: IndexReader, _ txn: borrowing Transaction, _ body: (UInt64) -> Void
    ) throws {
        let since = max(query.since ?? 0, 0)
        // The last timestamp included: `until` is exclusive; without it, everything up to Int64.max.
        let last: Int64
        if let until = query.until {
            guard until > since else { return }
            last = until - 1
        } else {
            last = .max
        }
        let firstMinute = UInt64(since) / 60_000
        let lastMinute = UInt64(last) / 60_000
        // Merged minutes: walk the time index's keys in the range.
        try txn.withCursor(index.schema.byTime.database) { cursor in
            var entry = try cursor.seek(.setRange, to: firstMinute.bigEndianBytes)
            while let current = entry, current.key.count == 17 {
                if UInt64(bigEndianBytes: current.key) > lastMinute { break }
                let first = UInt64(bigEndianBytes: current.key, at: 9)
                for offset in try PostingBlock.offsets(firstOffset: first, stored: current.value)
                where offset >= query.from && offset <= query.to {
                    body(offset)
                }
                entry = try cursor.get(.next)
            }
        }
        // Recent minutes: from the delta log.
        for (symbol, recent) in try index.schema.delta.all(txn).postings(.minute) where symbol.count == 8 {
            let minute = symbol.withUnsafeBytes { UInt64(bigEndianBytes: $0) }
            guard minute >= firstMinute && minute <= lastMinute else { continue }
            for offset in recent where offset >= query.from && offset <= query.to { body(offset) }
        }
    }

    /// The decoded bytes (``RecordHeader/decodedSize(of:)``) after which a chunk ends early (16 MiB): what one chunk
    /// holds in memory, however well its records compress.
    static let maximumChunkBytes = 16 << 20

    /// One chunk read by ``fetch(_:_:query:store:decoder:)``.
    struct Chunk {
        /// The candidate events read, in read order (the caller applies the filters).
        var events: [RecordedEvent]
        /// Whether the plan has nothing more to read.
        var exhausted: Bool
        /// A damaged record, or one an index lists but the log lacks, met after ``events``: report it once they are
        /// delivered.
        var failure: AnnalsError?
        /// The decoded bytes (``RecordHeader/decodedSize(of:)``) of the records read, whether or not their events
        /// match: a caller that reads several chunks into one buffer stops at ``ReadPlan/maximumChunkBytes`` of them.
        var decodedBytes: Int
    }

    /// Reads up to `count` candidate events and advances.
    ///
    /// The records of the chunk are located first, then decoded together (in parallel when the chunk is large).
    mutating func fetch(
        _ count: Int, _ txn: borrowing Transaction, query: EventQuery, store: EventStore, decoder: BatchDecoder
    ) throws -> Chunk {
        var records: [(offset: UInt64, record: UnsafeRawBufferPointer)] = []
        records.reserveCapacity(count)
        // Large events end a chunk early, so that one chunk never holds more than about this many decoded bytes: a
        // count of stored bytes let a chunk of well-compressed events decode to gigabytes.
        var bytes = 0
        // A record an index lists but the log lacks ends the chunk as a damaged one does: the events before it are
        // delivered first, and the plan stays before it, so the next fetch meets it again.
        var missing: AnnalsError?
        let exhausted: Bool
        switch self {
        case .scan(let position, let bound):
            var next = position
            exhausted = try txn.withCursor(store.schema.events) { cursor -> Bool in
                var entry: Cursor.Entry?
                if !query.reverse {
                    entry = try cursor.seek(.setRange, to: position.bigEndianBytes)
                } else if position != .max, try cursor.seek(.setRange, to: position.bigEndianBytes) != nil {
                    entry = try cursor.get(.previous)
                } else {
                    entry = try cursor.get(.last)
                }
                while let current = entry {
                    let offset = try StoreSchema.offset(ofKey: current.key)
                    if query.reverse ? offset < bound : offset > bound { return true }
                    if records.count == count || bytes >= Self.maximumChunkBytes { return false }
                    records.append((offset, current.value))
                    bytes += RecordHeader.decodedSize(of: current.value)
                    next = query.reverse ? offset : offset + 1
                    entry = try cursor.get(query.reverse ? .previous : .next)
                }
                return true
            }
            self = .scan(position: next, bound: bound)
        case .postings(let kind, let symbol, let position):
            let index = IndexReader(schema: store.schema)
            let offsets =
                query.reverse
                ? try index.offsets(txn, kind, symbol, before: position, limit: count)
                : try index.offsets(txn, kind, symbol, after: position, limit: count)
            var last = position
            var passedEnd = false
            var stoppedEarly = false
            for offset in offsets {
                if bytes >= Self.maximumChunkBytes {
                    stoppedEarly = true
                    break
                }
                if query.reverse ? offset < query.from : offset > query.to {
                    passedEnd = true
                    break
                }
                guard let record = try store.record(at: offset, txn) else {
                    missing = .corruptRecord(
                        offset: offset, reason: "indexed by \(kind) but missing from the log; \(Self.missingAdvice)")
                    break
                }
                records.append((offset, record))
                bytes += RecordHeader.decodedSize(of: record)
                last = offset
            }
            self = .postings(kind: kind, symbol: symbol, position: last)
            exhausted = missing == nil && (passedEnd || (!stoppedEarly && offsets.count < count))
        case .offsets(let offsets, let next):
            let last = min(offsets.count, next + count)
            var end = next
            while end < last && bytes < Self.maximumChunkBytes {
                let offset = offsets[end]
                guard let record = try store.record(at: offset, txn) else {
                    missing = .corruptRecord(
                        offset: offset,
                        reason: "listed by the type or minute index but missing from the log; \(Self.missingAdvice)")
                    break
                }
                records.append((offset, record))
                bytes += RecordHeader.decodedSize(of: record)
                end += 1
            }
            self = .offsets(offsets, next: end)
            exhausted = missing == nil && end == offsets.count
        }
        let (events, damaged) = decoder.decode(records, txn)
        // A damaged record among those read comes before the missing one.
        let failure = damaged ?? missing
        return Chunk(events: events, exhausted: exhausted && failure == nil, failure: failure, decodedBytes: bytes)
    }
}
