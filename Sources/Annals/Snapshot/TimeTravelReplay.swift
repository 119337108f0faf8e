import Dispatch
import LMDB

/// Replays a stretch of the log onto in-memory projection tables for ``EventStore/state(at:scope:)``, using every
/// core: each projection applies a chunk on its own worker (they share no tables), while another worker reads and
/// decodes the next chunk.
///
/// Events are read in chunks; the first is decoded on all cores, later ones by the reading worker alone, since the
/// other cores are applying the chunk before. The scope filter runs on the calling thread between chunks, in log
/// order, because which events touch a scope depends on the events before them.
struct TimeTravelReplay {
    /// Events per chunk by default: small enough that reading the first one is a small part of a short replay,
    /// large enough that the workers' start and join are negligible.
    static let defaultChunkSize = 4_096

    let store: EventStore
    let entries: [ProjectionCatalog.Entry]
    let tables: [MemoryTables]
    var chunkSize = defaultChunkSize

    /// Replays the events after `position` through `offset` that pass `handled` and then `filter`.
    /// - Returns: How many offsets the replay went past (events of every type, applied or not).
    func run(
        after position: UInt64, through offset: UInt64, filter: inout ScopeFilter,
        including handled: @escaping @Sendable (RecordedEvent) -> Bool
    ) throws -> Int {
        let shared = SharedReplay(
            store: store, entries: entries, tables: tables, through: offset, handled: handled)
        var position = position
        var replayed = 0
        guard position < offset else { return 0 }
        // Chunks start at a quarter of the size and double: the first read is the one nothing overlaps.
        var size = max(1, chunkSize / 4)
        var chunk = try shared.read(after: position, limit: size, parallel: true)
        while let last = chunk.last {
            let events = filter.keepsEverything ? chunk.events : chunk.events.filter { filter.touches($0) }
            let more = last < offset
            // The projection with the most events of the chunk starts first, the reader second.
            let order = entries.indices.map { index in
                (index, events.indices.count { entries[index].projection.handles(eventType: events[$0].type) })
            }.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }.map(\.0)
            var planned: [ReplayJob] = order.map { .apply($0) }
            size = min(size * 2, chunkSize)
            if more { planned.insert(.read(after: last, limit: size), at: min(1, planned.count)) }
            let jobs = planned
            let outcomes = SharedOutcomes(count: jobs.count)
            DispatchQueue.concurrentPerform(iterations: jobs.count) { job in
                switch jobs[job] {
                case .apply(let index): outcomes.record(job, Result { try shared.apply(events, projection: index) })
                case .read(let after, let limit):
                    outcomes.recordRead(Result { try shared.read(after: after, limit: limit, parallel: false) })
                }
            }
            try outcomes.check()
            replayed += Int(last - position)
            position = last
            chunk = more ? try outcomes.nextChunk!.get() : ([], nil)
        }
        return replayed
    }
}

private enum ReplayJob: Sendable {
    case apply(Int)
    case read(after: UInt64, limit: Int)
}

/// What the workers of a replay share. Each projection's tables are used by one worker at a time, the decoder by
/// the reading worker only.
private final class SharedReplay: @unchecked Sendable {
    let store: EventStore
    let entries: [ProjectionCatalog.Entry]
    let tables: [MemoryTables]
    let decoder: BatchDecoder
    let offset: UInt64
    let handled: @Sendable (RecordedEvent) -> Bool
    let context = ProjectionContext(mode: .timeTravel)

    init(
        store: EventStore, entries: [ProjectionCatalog.Entry], tables: [MemoryTables], through offset: UInt64,
        handled: @escaping @Sendable (RecordedEvent) -> Bool
    ) {
        self.store = store
        self.entries = entries
        self.tables = tables
        self.decoder = BatchDecoder(store: store)
        self.offset = offset
        self.handled = handled
    }

    func read(after position: UInt64, limit: Int, parallel: Bool) throws -> (events: [ProjectedEvent], last: UInt64?) {
        try store.environment.read { txn in
            try store.projectedEvents(
                after: position, through: offset, limit: limit, decoder: decoder,
                parallel: parallel, including: handled, txn)
        }
    }

    func apply(_ events: [ProjectedEvent], projection index: Int) throws {
        let projection = entries[index].projection
        let table = tables[index]
        // By index: iterating the array would copy (and retain the parts of) every event for every projection.
        for index in events.indices where projection.handles(eventType: events[index].type) {
            try projection.apply(events[index], to: table, context: context)
        }
    }
}

/// The results of one chunk's jobs, each slot written by one worker only.
private final class SharedOutcomes: @unchecked Sendable {
    private let failures: UnsafeMutableBufferPointer<(any Error)?>
    private(set) var nextChunk: Result<(events: [ProjectedEvent], last: UInt64?), any Error>?

    init(count: Int) {
        failures = .allocate(capacity: count)
        failures.initialize(repeating: nil)
    }

    deinit {
        failures.deinitialize()
        failures.deallocate()
    }

    func record(_ job: Int, _ result: Result<Void, any Error>) {
        if case .failure(let error) = result { failures[job] = error }
    }

    /// Records the reading job's result (there is at most one per chunk).
    func recordRead(_ result: Result<(events: [ProjectedEvent], last: UInt64?), any Error>) {
        nextChunk = result
    }

    /// Throws the first job's failure, in job order.
    func check() throws {
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
    }
}
