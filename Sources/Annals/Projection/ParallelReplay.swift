import Dispatch
import LMDB

/// Replays a stretch of the log onto in-memory projection tables using every core: each projection applies a
/// chunk on its own worker (projections share no tables, and replayed events are never checked against other
/// projections), while another worker reads and decodes the next chunk. Time travel replays onto a snapshot this
/// way (``EventStore/state(at:scope:)``), and a rebuild between two flushes of its tables to LMDB.
///
/// Events are read in chunks of at most ``chunkSize`` events, and fewer once they come to
/// ``ReadPlan/maximumChunkBytes`` decoded (``EventStore/projectedEvents``), so that a replay of large events that
/// compress well holds a few chunks of them, not thousands; the first is decoded on all cores, later ones by the
/// reading worker alone, since the other cores are applying the chunk before. The scope filter runs on the calling
/// thread between chunks, in log order, because which events touch a scope depends on the events before them.
struct ParallelReplay {
    /// Events per chunk by default: small enough that reading the first one is a small part of a short replay,
    /// large enough that the workers' start and join are negligible.
    static let defaultChunkSize = 4_096

    let store: EventStore
    let entries: [ProjectionCatalog.Entry]
    let tables: [MemoryTables]
    /// ``ProjectionContext/Mode/timeTravel`` or ``ProjectionContext/Mode/replay``.
    var mode = ProjectionContext.Mode.timeTravel
    var chunkSize = defaultChunkSize
    /// Per projection, the offset through which its tables already hold the log (events up to it are skipped).
    var appliedThrough: [UInt64]?
    /// Runs each apply job of projection `index` (`body`) on its worker, to bind read transactions around it.
    var aroundApply: (@Sendable (_ index: Int, _ body: () throws -> Void) throws -> Void)?

    /// Replays the events after `position` through `offset` that pass `handled` and then `filter`.
    /// - Returns: How many offsets the replay went past (events of every type, applied or not).
    func run(
        after position: UInt64, through offset: UInt64, filter: inout ScopeFilter,
        including handled: @escaping @Sendable (RecordedEvent) -> Bool
    ) throws -> Int {
        let shared = SharedReplay(self, through: offset, handled: handled)
        var position = position
        var replayed = 0
        guard position < offset else { return 0 }
        // Chunks start at a quarter of the size and double: the first read is the one nothing overlaps.
        var size = max(1, chunkSize / 4)
        var chunk = try shared.read(after: position, limit: size, parallel: true)
        var costs = ReplayJobCosts(projections: entries.count)
        while let last = chunk.last {
            let events = filter.keepsEverything ? chunk.events : chunk.events.filter { filter.touches($0) }
            let handledBy = filter.keepsEverything ? chunk.handledBy : shared.handledBy(events)
            let more = last < offset
            var planned: [(job: ReplayJob, events: Int)] = handledBy.indices.filter { !handledBy[$0].isEmpty }.map {
                (.apply($0), handledBy[$0].count)
            }
            size = min(size * 2, chunkSize)
            if more { planned.append((.read(after: last, limit: size), size)) }
            // Longest first: with more jobs than cores, a long job started last keeps the chunk waiting while the
            // other cores idle.
            let jobs = costs.longestFirst(planned)
            let outcomes = SharedOutcomes(count: jobs.count)
            DispatchQueue.concurrentPerform(iterations: jobs.count) { job in
                let started = threadCPUSeconds()
                switch jobs[job].job {
                case .apply(let index):
                    outcomes.record(job, Result { try shared.apply(events, handledBy[index], projection: index) })
                case .read(let after, let limit):
                    outcomes.recordRead(Result { try shared.read(after: after, limit: limit, parallel: false) })
                }
                outcomes.recordCost(job, seconds: threadCPUSeconds() - started)
            }
            try outcomes.check()
            for (index, planned) in jobs.enumerated() {
                costs.record(planned.job, events: outcomes.events(of: planned), seconds: outcomes.cost(index))
            }
            replayed += Int(last - position)
            position = last
            chunk = more ? try outcomes.nextChunk!.get() : ReplayChunk(events: [], last: nil, handledBy: [])
        }
        return replayed
    }
}

/// A chunk of events read for a replay, with the positions of the events each projection handles (so neither the
/// coordinating thread nor each worker asks every projection about every event again).
private struct ReplayChunk: Sendable {
    var events: [ProjectedEvent]
    var last: UInt64?
    /// Per projection, the indices in `events` of the events it handles.
    var handledBy: [[Int32]]
}

enum ReplayJob: Sendable, Equatable {
    case apply(Int)
    case read(after: UInt64, limit: Int)
}

/// What each kind of job costs per event, learned from the chunks before (thread CPU time, so the flushes and other
/// work running meanwhile do not count), to start each chunk's jobs longest first. Event counts alone misjudge:
/// a knowledge item costs tens of times what a thing update does.
struct ReplayJobCosts {
    /// Per projection, then for reading: seconds per event, `nil` until measured.
    private var perEvent: [Double?]

    init(projections: Int) { perEvent = Array(repeating: nil, count: projections + 1) }

    private func slot(_ job: ReplayJob) -> Int {
        switch job {
        case .apply(let index): return index
        case .read: return perEvent.count - 1
        }
    }

    /// `planned` in the order to start them: by estimated cost, longest first; by event count before anything is
    /// measured (or for a job never measured, at the average cost per event of those that were).
    func longestFirst(_ planned: [(job: ReplayJob, events: Int)]) -> [(job: ReplayJob, events: Int)] {
        let measured = perEvent.compactMap { $0 }
        let fallback = measured.isEmpty ? 1 : measured.reduce(0, +) / Double(measured.count)
        return planned.sorted {
            (perEvent[slot($0.job)] ?? fallback) * Double($0.events)
                > (perEvent[slot($1.job)] ?? fallback) * Double($1.events)
        }
    }

    /// Notes that `job` took `seconds` for `events` events (a moving average, so the estimate follows the views'
    /// growth).
    mutating func record(_ job: ReplayJob, events: Int, seconds: Double) {
        guard events > 0, seconds > 0 else { return }
        let sample = seconds / Double(events)
        let index = slot(job)
        perEvent[index] = perEvent[index].map { 0.7 * $0 + 0.3 * sample } ?? sample
    }
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
    let context: ProjectionContext
    let appliedThrough: [UInt64]?
    let aroundApply: (@Sendable (_ index: Int, _ body: () throws -> Void) throws -> Void)?

    init(_ replay: ParallelReplay, through offset: UInt64, handled: @escaping @Sendable (RecordedEvent) -> Bool) {
        store = replay.store
        entries = replay.entries
        tables = replay.tables
        decoder = BatchDecoder(store: replay.store)
        self.offset = offset
        self.handled = handled
        context = ProjectionContext(mode: replay.mode)
        appliedThrough = replay.appliedThrough
        aroundApply = replay.aroundApply
    }

    func read(after position: UInt64, limit: Int, parallel: Bool) throws -> ReplayChunk {
        let (events, last) = try store.environment.read { txn in
            try store.projectedEvents(
                after: position, through: offset, limit: limit, decoder: decoder,
                parallel: parallel, including: handled, txn)
        }
        return ReplayChunk(events: events, last: last, handledBy: handledBy(events))
    }

    /// Per projection, the indices of the events in `events` that it handles.
    func handledBy(_ events: [ProjectedEvent]) -> [[Int32]] {
        entries.map { entry in
            events.indices.filter { entry.projection.handles(eventType: events[$0].type) }.map { Int32($0) }
        }
    }

    /// Applies the events of `events` at `indices` (those it handles) to projection `index`'s tables.
    func apply(_ events: [ProjectedEvent], _ indices: [Int32], projection index: Int) throws {
        guard let aroundApply else { return try applyAll(events, indices, projection: index) }
        try aroundApply(index) { try applyAll(events, indices, projection: index) }
    }

    private func applyAll(_ events: [ProjectedEvent], _ indices: [Int32], projection index: Int) throws {
        let entry = entries[index]
        let projection = entry.projection
        let table = tables[index]
        let after = appliedThrough?[index] ?? 0
        // By index: iterating the array would copy (and retain the parts of) every event for every projection.
        for i in indices.lazy.map(Int.init) where events[i].offset > after {
            if context.mode == .replay {
                try projection.applyReplaying(events[i], to: table, context: context)
            } else {
                try projection.apply(events[i], to: table, context: context)
            }
        }
    }
}

/// The results of one chunk's jobs, each slot written by one worker only.
private final class SharedOutcomes: @unchecked Sendable {
    private let failures: UnsafeMutableBufferPointer<(any Error)?>
    private let costs: UnsafeMutableBufferPointer<Double>
    private(set) var nextChunk: Result<ReplayChunk, any Error>?

    init(count: Int) {
        failures = .allocate(capacity: count)
        failures.initialize(repeating: nil)
        costs = .allocate(capacity: count)
        costs.initialize(repeating: 0)
    }

    deinit {
        failures.deinitialize()
        failures.deallocate()
        costs.deallocate()
    }

    /// Records the CPU seconds job `job` took.
    func recordCost(_ job: Int, seconds: Double) { costs[job] = seconds }

    /// The CPU seconds job `job` took (after every job has ended).
    func cost(_ job: Int) -> Double { costs[job] }

    func record(_ job: Int, _ result: Result<Void, any Error>) {
        if case .failure(let error) = result { failures[job] = error }
    }

    /// Records the reading job's result (there is at most one per chunk).
    func recordRead(_ result: Result<ReplayChunk, any Error>) {
        nextChunk = result
    }

    /// The events `planned` went through: as planned for an apply job, and for the read the records it read (a
    /// chunk bounded by bytes may hold fewer than it asked for, and is costed by what it read).
    func events(of planned: (job: ReplayJob, events: Int)) -> Int {
        guard case .read(let after, _) = planned.job else { return planned.events }
        guard case .success(let chunk)? = nextChunk, let last = chunk.last else { return 0 }
        return Int(last - after)
    }

    /// Throws the first job's failure, in job order.
    func check() throws {
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
    }
}
