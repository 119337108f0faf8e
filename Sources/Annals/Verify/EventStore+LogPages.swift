import Foundation
import LMDB

extension EventStore {
    /// Checks that every page of the log's databases (records, dictionaries, indexes, ids, streams, cursors and
    /// `meta`) can be followed, without following any
    /// (``Environment/checkStructure(of:includingLeaves:limitingTo:includingFreeList:)``).
    ///
    /// LMDB trusts its pages: reading a store whose B-tree pages are damaged can crash the process.
    /// ``verify(from:to:anchor:progress:)``, rebuilds and ``backup(to:rewritingRecords:keepingDamagedCopy:)`` check
    /// the pages they read themselves; call this before other reads of a store that may be damaged. Writers may
    /// continue meanwhile. Its cost is a read of every page of the log; ``checkLogPages(offsets:)`` and
    /// ``checkLogPages(for:)`` check only what a read of some offsets, or one query, follows.
    /// - Throws: ``AnnalsError/storage(_:)`` with `LMDBError.Code.corrupted`, naming the first damaged page.
    public func checkLogPages() throws(AnnalsError) {
        try requireSoundPages(
            of: schema.allDatabases.map(\.name), operation: "checkLogPages", "the log's pages are damaged",
            advice: Self.logDamageAdvice)
    }

    /// Checks the pages that reading the events at `offsets` follows, and finding the head: the records' part of
    /// the `events` tree (with the branch pages above it), the path to the last record, `meta` and `dictionaries`.
    /// The cost is about that of the pages such a read touches, whatever the size of the log; an empty array checks
    /// what ``head()`` reads.
    ///
    /// Reads through the indexes (by type, actor, target, group or time) follow posting lists to records anywhere:
    /// check those with ``checkLogPages(for:)``.
    /// - Throws: ``AnnalsError/storage(_:)`` with `LMDBError.Code.corrupted`, naming the first damaged page.
    public func checkLogPages(offsets: [ClosedRange<UInt64>]) throws(AnnalsError) {
        try requireSoundPages(
            of: schema.recordDatabases.map(\.name), ranges: logRanges(offsets),
            operation: "checkLogPages", "the log's pages are damaged", advice: Self.logDamageAdvice)
    }

    /// Checks the pages that reading `query` follows. A query with no type, actor, target, group or time filter
    /// reads the log by offset: ``checkLogPages(offsets:)`` for the offsets it reads, found from its range, limit and
    /// direction. A filtered query reads through an index: the posting lists of its filters' keys are checked (the
    /// planner compares them; from the block holding the range's first offset) with the delta log, then the records
    /// of every offset in its range that the chosen list names (the other filters apply to the decoded events, so
    /// the limit counts only for a query with a single indexed filter: then only the first offsets it leaves are
    /// checked). Several types are read through their posting lists together, or, when their events are half the
    /// range or more, by a scan whose every record in range is checked. Offsets less than ``checkedOffsetGap`` apart
    /// are checked as one range, and more than ``maximumCheckedRanges`` ranges by a walk of the whole log
    /// (``checkLogPages()``).
    /// Type patterns (``EventQuery/types``) are resolved as the read resolves them, after a check of the whole type
    /// index and the delta log, whose symbols they are matched against.
    /// - Throws: ``AnnalsError/storage(_:)`` with `LMDBError.Code.corrupted`, naming the first damaged page;
    ///   ``AnnalsError/invalidArgument(_:)`` for a type that is not a valid pattern or a negative limit.
    public func checkLogPages(for query: EventQuery) throws(AnnalsError) {
        try query.checkArguments()
        var headChecked = false
        var query = query
        if query.hasTypePatterns {
            try checkLogPages(offsets: [])
            headChecked = true
            try requireSoundPages(
                of: [schema.postings(.type).database.name, schema.delta.database.name], operation: "checkLogPages",
                "the log's indexes have damaged pages", advice: Self.indexDamageAdvice)
            let resolved: EventQuery?
            do {
                resolved = try environment.read { [schema] txn in
                    try ReadPlan.resolvingPatterns(query, index: IndexReader(schema: schema), txn)
                }
            } catch {
                throw AnnalsError(error)
            }
            guard let resolved else { return }
            query = resolved
        }
        if Self.readsByOffset(query) {
            var head: UInt64?
            if query.reverse, (query.limit ?? 0) > 0 {
                // The newest events of the range: where they start depends on the head, found through checked pages.
                try checkLogPages(offsets: [])
                head = try self.head().offset
            }
            try checkLogPages(offsets: Self.offsetsRead(by: query, head: head))
            return
        }
        // The planner of several types compares their lists with the range up to the head.
        if ReadPlan.mayReadTypeLists(query) && !headChecked { try checkLogPages(offsets: []) }
        let indexRanges = indexRanges(for: query)
        try requireSoundPages(
            of: Array(indexRanges.keys) + [schema.delta.database.name], ranges: indexRanges,
            operation: "checkLogPages", "the log's indexes have damaged pages", advice: Self.indexDamageAdvice)
        let planned: PlannedOffsets
        do {
            planned = try offsetsPlanned(for: query)
        } catch {
            throw AnnalsError(error)
        }
        guard case .listed(let listed) = planned else {
            if case .scanned(let range) = planned { try checkLogPages(offsets: [range]) }
            return
        }
        let ranges = Self.coalesced(listed, gap: Self.checkedOffsetGap)
        guard let first = ranges.first, let last = ranges.last else { return try checkLogPages(offsets: []) }
        // Past so many ranges, one range spanning them all costs less than following each.
        try checkLogPages(
            offsets: ranges.count <= Self.maximumCheckedRanges ? ranges : [first.lowerBound...last.upperBound])
    }

    /// Checks the pages that ``statistics()`` follows: the path to the head, `meta`, `dictionaries`, the posting lists
    /// by type, actor, target and group, and the delta log.
    /// - Throws: ``AnnalsError/storage(_:)`` with `LMDBError.Code.corrupted`, naming the first damaged page.
    public func checkStatisticsPages() throws(AnnalsError) {
        try checkLogPages(offsets: [])
        let indexes = [IndexKind.type, .actor, .target, .group].map { schema.postings($0).database }
        try requireSoundPages(
            of: (indexes + [schema.delta.database]).map(\.name), operation: "checkStatisticsPages",
            "the log's indexes have damaged pages", advice: Self.indexDamageAdvice)
    }

    /// What to do about a damaged index page: a posting list or `ids` can be rebuilt from a sound log (`reindex` cannot
    /// open a store whose delta log or `streams` is damaged: a writable open checks those).
    static let indexDamageAdvice =
        "restore the store from a backup, or run 'annals reindex' if the log is sound and the damaged page is in an "
        + "idx.* posting list or ids"

    /// What to do about a damaged page of the log, the cursors or the snapshots: nothing rebuilds them.
    static let logDamageAdvice = "restore the store from a backup"

    /// The key ranges of the posting lists that planning and reading `query` look at, per index database: each
    /// symbol of its filters that an index serves, and its time range's minutes.
    private func indexRanges(for query: EventQuery) -> [String: [KeyRange]] {
        var ranges: [String: [KeyRange]] = [:]
        // With several types, the planner may read the posting list of each.
        let typeLists = ReadPlan.mayReadTypeLists(query) ? query.types.map { (IndexKind.type, Array($0.utf8)) } : []
        for (kind, symbol) in ReadPlan.indexedFilters(of: query) + typeLists {
            // The planner reads a list's last block, the read its blocks from the one holding `from` (which starts
            // before it: the range walk also covers the keys on each side of a range, where a cursor stepping back
            // from its start lands).
            ranges[schema.postings(kind).database.name, default: []].append(
                KeyRange(
                    PostingBlock.key(symbol: symbol, firstOffset: query.from),
                    through: PostingBlock.key(symbol: symbol, firstOffset: .max)))
        }
        if query.since != nil || query.until != nil {
            // Minute blocks are keyed MINUTE 00 FIRST-OFFSET.
            let first = IndexKind.minuteSymbol(query.since ?? 0)
            let last = IndexKind.minuteSymbol(query.until ?? .max)
            ranges[schema.byTime.database.name, default: []].append(
                KeyRange(first, through: last + [UInt8](repeating: 0xFF, count: 9)))
        }
        return ranges
    }

    /// Offsets closer than this are checked as one range: a few more records on the same or nearby leaf pages cost
    /// less than another range.
    static let checkedOffsetGap: UInt64 = 256
    /// More ranges than this are checked by a walk of the whole log, which costs less than following each.
    static let maximumCheckedRanges = 1_024

    /// What a read plan reads of the log: the offsets a posting list or the time index names, or a range it scans.
    private enum PlannedOffsets {
        /// Offsets, ascending.
        case listed([UInt64])
        /// Every offset of a range.
        case scanned(ClosedRange<UInt64>)
    }

    /// The offsets in `query`'s range of the posting list or time index its read plan walks, ascending, or the range
    /// of the log it scans by offset. When every offset the list names matches the query
    /// (``readsListedOffsetsOnly(_:)``), only the first `limit` in the read's direction, which are all it decodes.
    private func offsetsPlanned(for query: EventQuery) throws -> PlannedOffsets {
        switch try ReadPlan.make(for: query, store: self) {
        case .scan(let position, let bound):
            guard query.reverse else { return position <= bound ? .scanned(position...bound) : .listed([]) }
            let top = position == .max ? position : position - 1
            return bound <= top ? .scanned(bound...top) : .listed([])
        case .offsets(let offsets, _):
            return .listed(offsets.sorted())
        case .postings(let kind, let symbol, _):
            let limit = Self.readsListedOffsetsOnly(query) ? query.limit.map { max($0, 0) } ?? .max : .max
            let index = IndexReader(schema: schema)
            return .listed(
                try environment.read { txn in
                    guard query.reverse else {
                        return try index.offsets(txn, kind, symbol, after: max(query.from, 1) - 1, limit: limit)
                            .prefix { $0 <= query.to }
                    }
                    let before = query.to == .max ? .max : query.to + 1
                    return try index.offsets(txn, kind, symbol, before: before, limit: limit)
                        .prefix { $0 >= query.from }.reversed()
                })
        }
    }

    /// `offsets` (ascending) as ranges, those at most `gap` apart joined.
    static func coalesced(_ offsets: [UInt64], gap: UInt64) -> [ClosedRange<UInt64>] {
        var ranges: [ClosedRange<UInt64>] = []
        for offset in offsets {
            if let last = ranges.last, offset - last.upperBound <= gap {
                ranges[ranges.count - 1] = last.lowerBound...offset
            } else {
                ranges.append(offset...offset)
            }
        }
        return ranges
    }

    /// Whether every event the posting list of `query` names matches it, so that a read with a limit decodes no more
    /// than that many: one filter that an index serves, and no other.
    static func readsListedOffsetsOnly(_ query: EventQuery) -> Bool {
        ReadPlan.indexedFilters(of: query).count == 1 && query.types.count <= 1 && query.since == nil
            && query.until == nil
    }

    /// Whether `query` reads the log by offset: no type, actor, target, group or time filter.
    static func readsByOffset(_ query: EventQuery) -> Bool {
        query.types.isEmpty && query.actorId == nil && query.targetId == nil && query.groupId == nil
            && query.since == nil && query.until == nil
    }

    /// The offsets that a read by offset of `query` returns (none, or one range), from its range, limit and
    /// direction; a reverse read with a limit needs the `head`, and reads to the end of its range without it.
    static func offsetsRead(by query: EventQuery, head: UInt64?) -> [ClosedRange<UInt64>] {
        var (first, last) = (query.from, query.to)
        if let limit = query.limit.map({ UInt64(max($0, 0)) }) {
            if limit == 0 { return [] }
            if query.reverse, let head {
                last = min(last, head)
                first = max(first, last >= limit ? last - limit + 1 : 1)
            } else if !query.reverse {
                let (end, overflow) = first.addingReportingOverflow(limit - 1)
                if !overflow { last = min(last, end) }
            }
        }
        return first <= last ? [first...last] : []
    }

    /// Checks the pages that ``event(id:)`` follows for `id`: its entry in `ids`, then those that
    /// ``checkLogPages(offsets:)`` checks for the offset it names.
    /// - Throws: ``AnnalsError/storage(_:)`` with `LMDBError.Code.corrupted`, naming the first damaged page.
    public func checkLogPages(forEventWithID id: UUID) throws(AnnalsError) {
        let key = KeyRange(id.bytes, through: id.bytes)
        try requireSoundPages(
            of: [schema.ids.name], ranges: [schema.ids.name: [key]], operation: "checkLogPages",
            "the log's pages are damaged", advice: Self.logDamageAdvice)
        // The path to the id's entry is sound: it can be read.
        let offset: UInt64?
        do {
            offset = try environment.read { txn in try self.offset(of: id, txn) }
        } catch {
            throw AnnalsError(error)
        }
        try checkLogPages(offsets: offset.map { [$0...$0] } ?? [])
    }

    /// The `events` key ranges that reading `offsets` and finding the head (the last key) follow; none (a walk of
    /// the whole tree, which also compares its page and entry counts) when one range spans the whole log.
    func logRanges(_ offsets: [ClosedRange<UInt64>]) -> [String: [KeyRange]] {
        Self.logRanges(offsets, in: schema)
    }

    /// ``logRanges(_:)`` in the `events` database of `schema` (for a store still being opened).
    static func logRanges(_ offsets: [ClosedRange<UInt64>], in schema: StoreSchema) -> [String: [KeyRange]] {
        if offsets.contains(where: { $0.lowerBound <= 1 && $0.upperBound == .max }) { return [:] }
        let ranges = (offsets + [UInt64.max...UInt64.max]).map {
            KeyRange($0.lowerBound.bigEndianBytes, through: $0.upperBound.bigEndianBytes)
        }
        return [schema.events.name: ranges]
    }

    /// Throws ``AnnalsError/storage(_:)`` (`LMDBError.Code.corrupted`, as `operation`) when a page of the databases
    /// `names` (every one when `nil`) is damaged: `what`, the first problem and how many more, then `advice`.
    /// Without `includingLeaves`, only what clearing the databases follows is checked; the databases in `ranges`
    /// are checked only where those keys lie.
    func requireSoundPages(
        of names: [String]?, includingLeaves: Bool = true, ranges: [String: [KeyRange]] = [:],
        includingFreeList: Bool? = nil, operation: String, _ what: String, advice: String? = nil
    ) throws(AnnalsError) {
        try Self.requireSoundPages(
            in: environment, of: names, includingLeaves: includingLeaves, ranges: ranges,
            includingFreeList: includingFreeList, operation: operation, what, advice: advice)
    }

    /// ``requireSoundPages(of:includingLeaves:ranges:operation:_:advice:)`` in `environment` (for a store still being
    /// opened).
    static func requireSoundPages(
        in environment: Environment, of names: [String]?, includingLeaves: Bool = true,
        ranges: [String: [KeyRange]] = [:], includingFreeList: Bool? = nil, operation: String, _ what: String,
        advice: String? = nil
    ) throws(AnnalsError) {
        let problems: [StructureProblem]
        do {
            problems = try environment.checkStructure(
                of: names, includingLeaves: includingLeaves, limitingTo: ranges, includingFreeList: includingFreeList)
        } catch {
            throw AnnalsError(error)
        }
        guard let summary = StructureProblem.summary(of: problems) else { return }
        throw .storage(
            LMDBError(
                code: .corrupted, operation: operation,
                detail: "\(what): \(summary)" + (advice.map { "; " + $0 } ?? "")))
    }
}
