import Foundation
import LMDB

/// How far a rebuild or catch-up has come, for progress bars.
public struct RebuildProgressReport: Sendable, Equatable {
    /// The projections being built.
    public var projections: [String]
    /// Events replayed so far in this run.
    public var replayed: UInt64
    /// Events this run expects to replay (the log head when it started, minus where it resumed).
    public var total: UInt64
    /// Seconds since this run started.
    public var elapsed: Double

    /// Replayed events per second.
    public var eventsPerSecond: Double { elapsed > 0 ? Double(replayed) / elapsed : 0 }
    /// Estimated seconds left, from the rate so far.
    public var secondsLeft: Double? {
        guard eventsPerSecond > 0, total > replayed else { return nil }
        return Double(total - replayed) / eventsPerSecond
    }
}

/// What a rebuild did for one projection.
public struct RebuildResult: Sendable, Equatable {
    /// The projection.
    public var name: String
    /// The log offset the rebuilt view was swapped in at.
    public var checkpoint: UInt64
    /// Whether the run resumed an interrupted rebuild.
    public var resumed: Bool
    /// With `verify`: the digest of the view before the swap (`nil` if it had none built by the same code).
    public var previousDigest: ProjectionDigest?
    /// With `verify`: the digest of the rebuilt view.
    public var digest: ProjectionDigest?
    /// With `verify`: where the two differ (at most 20 per table).
    public var differences: [ProjectionDifference]
    /// With `verify`: why the view before the swap, left behind the log by another process's appends, could not be
    /// caught up to the head to be compared (it is then compared where the failing event left it, and does not
    /// match). `nil` when it was at the head or caught up.
    public var previousCatchUpFailure: String?
    /// The offsets of the snapshots deleted in the swap's commit because a read would have taken this projection's
    /// tables from them (they hold them at its version and configuration): copies of the replaced view, which may
    /// hold whatever the rebuild was run to repair. Oldest first. Empty when the replaced view was built by another
    /// version or configuration (a rebuild at open after an upgrade or a downgrade): the snapshots matching the
    /// rebuilt one were then taken from an earlier view, not from the replaced one, and are kept.
    public var droppedSnapshots: [UInt64] = []
}

/// Replays the log into projection tables, replaying in memory on every core and flushing the changes to LMDB on
/// the writer thread every 32,768 to 524,288 events, so appends go on meanwhile, and so does the replay: each flush
/// runs while the next stretch replays over the tables being flushed.
///
/// A **rebuild** fills the slot readers do not use, recording its progress in the same commits as the flushes (a
/// killed rebuild resumes from the last one), and swaps the slot in atomically once it has reached the head, in the
/// transaction that replays the last events: readers see the old view until that commit and the new one after it.
/// That commit also deletes the snapshots a read would take the rebuilt projections' tables from (copies of the
/// replaced view, ``EventStore/dropSnapshots(readingTablesOf:_:)``). A
/// **catch-up** replays the missing events into the current slot of a view that is behind the log.
///
/// Between flushes the projections apply events to ``MemoryTables`` laid over the slot's tables (read through a
/// read transaction), each projection on its own worker while another reads and decodes the next chunk
/// (``ParallelReplay``). A flush writes each table's changes in key order: a record updated fifty times between
/// two flushes is written once, and the pages are written in order rather than all over the tables.
final class ProjectionRebuilder {
    enum Kind { case rebuild, catchUp }

    /// At most this many events are replayed in memory between two flushes (and progress records); at least
    /// ``minimumFlushInterval``, and otherwise half the events to replay, so a killed rebuild of any size loses at
    /// most about two seconds of replay. Fewer flushes write less: each rewrites every record its stretch changed (a
    /// stretch of a quarter of the ontology history already changes nearly every thing), and each costs a freeze of
    /// its tables that nothing overlaps; two stretches instead of four use about 0.4 s less CPU for a million events
    /// and 50 MB less memory at the peak, for a last flush (which nothing overlaps either) twice as long.
    static let maximumFlushInterval = 524_288
    /// The fewest events replayed in memory between two flushes.
    static let minimumFlushInterval = 32_768
    /// Events per replayed chunk by default (a chunk also ends at ``ReadPlan/maximumChunkBytes`` decoded); also how
    /// close to the head the in-memory replay stops and the writer's transaction replays the rest.
    static let defaultChunkSize = 8_192

    /// Refuses to rebuild over damaged pages, which LMDB would follow into a crash (at every attempt): the log's
    /// (read whole), what clearing both slots of each view follows (the spare slot is cleared before it is filled,
    /// the replaced one after the swap) and, with `verify`, the whole current view (read to compare). Damage inside
    /// the leaves of a view does not stop a rebuild without `verify`, which replaces the view.
    private func checkPagesBeforeRebuilding(_ entries: [ProjectionCatalog.Entry], verify: Bool) throws {
        let log = store.schema.recordDatabases.map(\.name)
        try store.requireSoundPages(of: log, operation: "rebuild", "the log's pages are damaged")
        try store.requireSoundPages(
            of: entries.flatMap { $0.slots.flatMap { $0.map(\.name) } }, includingLeaves: false,
            operation: "rebuild", "a view's pages are damaged where clearing it would follow them")
        guard verify else { return }
        let current = try store.environment.read { txn in
            try entries.flatMap { entry in
                guard let state = try catalog.state(entry.name, txn.handle) else { return [String]() }
                return entry.slots[Int(state.slot)].map(\.name)
            }
        }
        try store.requireSoundPages(
            of: current, operation: "rebuild",
            "the current view's pages are damaged, so it cannot be compared (rebuild without --verify to replace it)")
    }

    private struct Target {
        let entry: ProjectionCatalog.Entry
        let slot: UInt8
        var progress: UInt64
        let resumed: Bool
    }

    private let store: EventStore
    private let catalog: ProjectionCatalog
    private let kind: Kind
    private let chunkSize: Int
    private let flushInterval: ClosedRange<Int>

    /// A rebuilder or catcher-up; tests pass small `chunkSize` and `flushInterval` to exercise the flushes.
    init(
        store: EventStore, kind: Kind, chunkSize: Int = defaultChunkSize,
        flushInterval: ClosedRange<Int> = minimumFlushInterval...maximumFlushInterval
    ) {
        self.store = store
        self.catalog = store.projections
        self.kind = kind
        self.chunkSize = chunkSize
        self.flushInterval = flushInterval
    }

    func run(
        _ names: [String], verify: Bool = false, progress: ((RebuildProgressReport) -> Void)? = nil
    ) throws -> [RebuildResult] {
        // A name given twice is rebuilt once (twice, its second begin took the first for a concurrent rebuild).
        var seen = Set<String>()
        let names = names.filter { seen.insert($0).inserted }
        let entries = try names.map { name in
            guard let entry = catalog.entry(name), entry.isAvailable else {
                let registered = catalog.entries.filter(\.isAvailable).map(\.name).joined(separator: ", ")
                throw AnnalsError.projectionUnavailable(
                    name: name, reason: "no projection of that name is registered (registered: \(registered))")
            }
            return entry
        }
        if kind == .rebuild { try checkPagesBeforeRebuilding(entries, verify: verify) }
        var targets = try store.writeReturning { txn in
            try self.begin(entries, head: try txn.lastOffset(self.store.schema), txn.handle)
        }
        guard !targets.isEmpty else { return [] }
        let started = monotonicSeconds()
        let firstProgress = targets.map(\.progress).min() ?? 0
        let head = try store.head().offset
        var report = RebuildProgressReport(
            projections: names, replayed: 0, total: head > firstProgress ? head - firstProgress : 0, elapsed: 0)
        progress?(report)
        let projections = targets.map(\.entry.projection)
        let handled: @Sendable (RecordedEvent) -> Bool = { event in
            projections.contains { $0.handles(eventType: event.type) }
        }
        var position = firstProgress
        let interval = UInt64(min(max(Int(report.total / 2), flushInterval.lowerBound), flushInterval.upperBound))
        let bases = targets.map { target in target.entry.slots[Int(target.slot)].map(LMDBTableBase.init) }
        let flushes = FlushPipeline(store: store)
        // The tables of the stretch before, frozen: being flushed while the next stretch replays over them.
        var below: [MemoryTables]?
        do {
            while true {
                // A close waits for a catch-up in the background (and the writer for a rebuild's flushes): end at the
                // next stretch rather than replay the rest of the log first. The last flush is kept, and resumed from.
                if store.isClosed { throw AnnalsError.closed }
                let head = try store.head().offset
                guard head > position, head - position > UInt64(chunkSize) else { break }
                let through = min(head, position + interval)
                let tables = try replayInMemory(
                    targets, after: position, through: through, over: below, bases: bases, including: handled)
                // The flush before has reached LMDB: the new tables can lie on LMDB's directly, and be flushed.
                try flushes.wait()
                MemoryTables.freeze(tables)
                for (index, tables) in tables.enumerated() { tables.rebase(onto: bases[index].map { $0 }) }
                // A flush that fills the map partway is aborted and runs again after the map grows: grow it first.
                try store.environment.reserve(Self.room(for: tables))
                targets = flush(tables, of: targets, through: through, to: flushes)
                // The stretch before is flushed and nothing lies on it any more.
                Self.releaseInBackground(below)
                below = tables
                position = through
                report.replayed = position - firstProgress
                report.total = max(report.total, report.replayed)
                report.elapsed = monotonicSeconds() - started
                progress?(report)
            }
            try flushes.wait()
            Self.releaseInBackground(below)
            below = nil
        } catch {
            // A flush still queued refers to tables of this run: let it end before giving up.
            try? flushes.wait()
            throw error
        }
        // A verified rebuild compares each view it replaces caught up to the head (`finish`). Views another process
        // left behind are caught up now, as reads catch them up (in stretches, with short write transactions), so
        // that the swap's transaction, which holds up every writer, replays into them only what came since.
        // Not needed for correctness: whatever it leaves, the swap's transaction replays, so its errors (another
        // view's, say) do not fail the rebuild.
        if verify && kind == .rebuild { try? store.viewCatchUp?.catchUpNow() }
        // The last events, and whatever is appended meanwhile, are replayed inside the writer's transaction that
        // swaps the views in.
        let decoder = BatchDecoder(store: store)
        let finished = try store.writeReturning { txn in
            try self.finish(targets, verify: verify, decoder: decoder, including: handled, txn)
        }
        report.replayed = report.total
        report.elapsed = monotonicSeconds() - started
        progress?(report)
        return finished
    }

    /// Replays the events after `position` through `last` into in-memory tables laid over `below` (the stretch
    /// before, frozen and perhaps still being flushed) or, without it, over the targets' slots (`bases`).
    private func replayInMemory(
        _ targets: [Target], after position: UInt64, through last: UInt64, over below: [MemoryTables]?,
        bases: [[LMDBTableBase]], including handled: @escaping @Sendable (RecordedEvent) -> Bool
    ) throws -> [MemoryTables] {
        let tables = bases.indices.map { index in
            guard let below else { return MemoryTables(bases: bases[index].map { $0 }) }
            return MemoryTables(bases: bases[index].indices.map { below[index].base(ProjectionTable($0)) })
        }
        var replay = ParallelReplay(
            store: store, entries: targets.map(\.entry), tables: tables, mode: .replay, chunkSize: chunkSize)
        replay.appliedThrough = targets.map(\.progress)
        let environment = store.environment
        // Whatever the layers above, lookups end in the slot's tables: bound to a read transaction per job.
        replay.aroundApply = { index, body in
            try environment.read { txn in
                for base in bases[index] { base.bind(txn.handle) }
                defer { for base in bases[index] { base.bind(nil) } }
                try body()
            }
        }
        var everything = ScopeFilter.everything
        _ = try replay.run(after: position, through: last, filter: &everything, including: handled)
        return tables
    }

    /// Generous room in the map for a flush of `tables`: twice the changes' bytes with a node header each (every
    /// page they land on is copied, and pages split half full), and a few MB for branch pages and the rest.
    private static func room(for tables: [MemoryTables]) -> Int {
        tables.reduce(4 << 20) { $0 + 2 * ($1.changedBytes + 16 * $1.changeCount) }
    }

    /// Lets a background thread free `tables`, which nothing else references: a stretch's tables are hundreds of
    /// thousands of arrays, about a tenth of a second to free, which the next stretch's replay and the swap need not
    /// wait for.
    private static func releaseInBackground(_ tables: [MemoryTables]?) {
        guard let tables else { return }
        let box = ReleasedTables(tables)
        DispatchQueue.global(qos: .utility).async { box.release() }
    }

    /// Queues the writes of `tables` (frozen) to the targets' slots, in one commit that records their progress
    /// through `last`, and returns the targets as they will be after it.
    private func flush(
        _ tables: [MemoryTables], of targets: [Target], through last: UInt64, to flushes: FlushPipeline
    ) -> [Target] {
        var updated = targets
        for index in updated.indices where last > updated[index].progress { updated[index].progress = last }
        let after = updated
        flushes.submit { txn in
            for index in targets.indices {
                try self.checkUnchanged(targets[index], txn)
                let databases = targets[index].entry.slots[Int(targets[index].slot)]
                for table in databases.indices {
                    try Self.write(tables[index], table: ProjectionTable(table), to: databases[table], txn)
                }
                try self.record(after[index], txn)
            }
        }
        return updated
    }

    /// Writes the changes of `tables`' table `table` to `database` in key order through one cursor, which finds
    /// each key from the page of the one before rather than from the root; into an empty database (the first flush
    /// of a rebuild) as appends, which fill each page before starting the next.
    private static func write(
        _ tables: MemoryTables, table: ProjectionTable, to database: Database, _ txn: TransactionHandle
    ) throws {
        let appending = try txn.statistics(database).entries == 0
        try txn.withCursor(database) { cursor in
            try tables.forEachChange(table) { key, value in
                try key.withUnsafeBytes { key in
                    if let value {
                        try LMDBTables.checkKey(key, in: database)
                        try value.withUnsafeBytes { value in
                            try cursor.put(key: key, value: value, flags: appending ? .append : [])
                        }
                    } else if !appending, LMDBTables.storableKeySizes.contains(key.count),
                        try cursor.get(.setKey, key: key) != nil
                    {
                        try cursor.deleteCurrent()
                    }
                }
            }
        }
    }

    /// Sets the targets up: a fresh or resumed rebuild slot, or the current slot for a catch-up (of a view behind
    /// `head`, the log's last offset).
    private func begin(_ entries: [ProjectionCatalog.Entry], head: UInt64, _ txn: TransactionHandle) throws -> [Target]
    {
        var targets: [Target] = []
        for entry in entries {
            let projection = entry.projection
            let state = try catalog.state(entry.name, txn)
            switch kind {
            case .catchUp:
                guard let state, state.matches(projection), state.checkpoint < head else { continue }
                targets.append(Target(entry: entry, slot: state.slot, progress: state.checkpoint, resumed: false))
            case .rebuild:
                if let existing = try catalog.rebuild(entry.name, txn), existing.version == projection.version,
                    existing.configuration == projection.configuration, existing.slot != state?.slot
                {
                    targets.append(
                        Target(entry: entry, slot: existing.slot, progress: existing.progress, resumed: true))
                    continue
                }
                let slot: UInt8 = state.map { 1 - $0.slot } ?? 0
                for database in entry.slots[Int(slot)] { try txn.clear(database) }
                let fresh = ProjectionState(
                    slot: slot, version: projection.version, configuration: projection.configuration, checkpoint: 0)
                try catalog.setRebuild(RebuildProgress(fresh), of: entry.name, txn)
                targets.append(Target(entry: entry, slot: slot, progress: 0, resumed: false))
            }
        }
        return targets
    }

    /// Replays `events` into each target past its progress and records the new progress.
    private func apply(
        _ events: [ProjectedEvent], to targets: [Target], _ txn: TransactionHandle, through last: UInt64? = nil
    ) throws -> [Target] {
        var updated = targets
        for index in updated.indices {
            let target = updated[index]
            try checkUnchanged(target, txn)
            let projection = target.entry.projection
            let tables = catalog.tables(target.entry, slot: target.slot, txn)
            let context = ProjectionContext(mode: .replay)
            for index in events.indices
            where events[index].offset > target.progress && projection.handles(eventType: events[index].type) {
                try projection.applyReplaying(events[index], to: tables, context: context)
            }
            if let last = last ?? events.last?.offset, last > target.progress { updated[index].progress = last }
            try record(updated[index], txn)
        }
        return updated
    }

    /// Fails when another process moved the target on since this run last committed.
    private func checkUnchanged(_ target: Target, _ txn: TransactionHandle) throws {
        let name = target.entry.name
        let current: UInt64?
        switch kind {
        case .rebuild: current = try catalog.rebuild(name, txn).flatMap { $0.slot == target.slot ? $0.progress : nil }
        case .catchUp: current = try catalog.state(name, txn).flatMap { $0.slot == target.slot ? $0.checkpoint : nil }
        }
        guard current == target.progress else {
            throw AnnalsError.projectionUnavailable(
                name: name, reason: "another process is rebuilding or catching up this projection")
        }
    }

    private func record(_ target: Target, _ txn: TransactionHandle) throws {
        let projection = target.entry.projection
        let state = ProjectionState(
            slot: target.slot, version: projection.version, configuration: projection.configuration,
            checkpoint: target.progress)
        switch kind {
        case .rebuild: try catalog.setRebuild(RebuildProgress(state), of: target.entry.name, txn)
        case .catchUp: try catalog.setState(state, of: target.entry.name, txn)
        }
    }

    /// Replays everything after the targets' progress up to the head, then swaps the rebuilt slots in (or marks
    /// the caught-up views live), all in the writer's transaction `txn`.
    private func finish(
        _ targets: [Target], verify: Bool, decoder: BatchDecoder,
        including handled: @Sendable (RecordedEvent) -> Bool, _ txn: borrowing Transaction
    ) throws -> [RebuildResult] {
        let handle = txn.handle
        var targets = targets
        var position = targets.map(\.progress).min() ?? 0
        while true {
            let (rest, last) = try store.projectedEvents(
                after: position, limit: chunkSize, decoder: decoder, including: handled, txn)
            guard let last else { break }
            targets = try apply(rest, to: targets, handle, through: last)
            position = last
        }
        let head = try txn.lastOffset(store.schema)
        var results: [RebuildResult] = []
        // The projections whose replaced view this code built (same version and configuration): only its snapshots
        // are copies of that view. Those matching a view of another version, replaced at open, were taken from an
        // earlier view at this version, not from the one replaced, and are kept.
        var replacingOwnView: [any Projection] = []
        for target in targets {
            let entry = target.entry
            let projection = entry.projection
            let previous = try catalog.state(entry.name, handle)
            if let previous, previous.matches(projection) { replacingOwnView.append(projection) }
            var result = RebuildResult(
                name: entry.name, checkpoint: head, resumed: target.resumed, previousDigest: nil, digest: nil,
                differences: [])
            let rebuilt = catalog.tables(entry, slot: target.slot, handle)
            if verify {
                result.digest = try ProjectionDigest.compute(rebuilt, names: projection.tableNames)
                if let previous, previous.matches(projection), previous.slot != target.slot {
                    let current = catalog.tables(entry, slot: previous.slot, handle)
                    if let failure = store.viewCatchUp?.failure(
                        of: LaggingView(name: entry.name, checkpoint: previous.checkpoint))
                    {
                        // The catch-up before the swap failed from where the view stands: it would fail here too.
                        result.previousCatchUpFailure =
                            "it was at offset \(previous.checkpoint), and catching it up failed: \(failure)"
                    } else {
                        result.previousCatchUpFailure = try catchUp(
                            current, of: projection, from: previous.checkpoint, decoder: decoder, txn)
                    }
                    result.previousDigest = try ProjectionDigest.compute(current, names: projection.tableNames)
                    if result.previousDigest != result.digest {
                        result.differences = try ProjectionDifference.between(
                            current, rebuilt, names: projection.tableNames, limit: 20)
                    }
                }
            }
            try catalog.setState(
                ProjectionState(
                    slot: target.slot, version: projection.version, configuration: projection.configuration,
                    checkpoint: head), of: entry.name, handle)
            if kind == .rebuild {
                try catalog.advanceGeneration(of: entry.name, handle)
                try catalog.setRebuild(nil, of: entry.name, handle)
                if let previous, previous.slot != target.slot {
                    for database in entry.slots[Int(previous.slot)] { try handle.clear(database) }
                }
            }
            results.append(result)
        }
        if kind == .rebuild {
            let dropped = try store.dropSnapshots(readingTablesOf: replacingOwnView, handle)
            for index in results.indices { results[index].droppedSnapshots = dropped[results[index].name] ?? [] }
        }
        return results
    }

    /// Replays the events after `checkpoint` into the view a verified rebuild replaces (`tables`, about to be
    /// cleared in the same transaction), so that it is compared as a read would find it, caught up to the head,
    /// rather than where another process's appends left it: the events appended since the catch-up `run` makes
    /// before the swap. Returns why that failed (the view is then compared where the failing event left it), or
    /// `nil`.
    private func catchUp(
        _ tables: any ProjectionWriter, of projection: any Projection, from checkpoint: UInt64,
        decoder: BatchDecoder, _ txn: borrowing Transaction
    ) throws -> String? {
        let context = ProjectionContext(mode: .replay)
        var position = checkpoint
        while true {
            let (events, last) = try store.projectedEvents(
                after: position, limit: chunkSize, decoder: decoder,
                including: { projection.handles(eventType: $0.type) }, txn)
            guard let last else { return nil }
            for event in events {
                do {
                    try projection.applyReplaying(event, to: tables, context: context)
                } catch AnnalsError.projectionUnavailable(_, let reason) {
                    return "it was at offset \(checkpoint), and catching it up failed: \(reason)"
                }
            }
            position = last
        }
    }
}

/// Tables handed to a background thread to be freed there (``ProjectionRebuilder/releaseInBackground(_:)``).
private final class ReleasedTables: @unchecked Sendable {
    private var tables: [MemoryTables]?

    init(_ tables: [MemoryTables]) { self.tables = tables }

    /// Drops the tables: the last reference, so they are freed on the calling thread.
    func release() { tables = nil }
}

/// The flushes of a rebuild, queued on the writer thread one at a time: ``submit(_:)`` queues one without waiting,
/// ``wait()`` waits for it and throws its error.
private final class FlushPipeline: @unchecked Sendable {
    private let store: EventStore
    private let done = DispatchSemaphore(value: 0)
    private var outcome: (any Error)?
    private var inFlight = false

    init(store: EventStore) { self.store = store }

    /// Queues `body` as a write transaction; the flush before must have been waited for.
    func submit(_ body: @escaping (TransactionHandle) throws -> Void) {
        precondition(!inFlight, "FlushPipeline.submit with a flush in flight")
        inFlight = true
        store.submitWrite({ txn in try body(txn.handle) }) { error in
            self.outcome = error
            self.done.signal()
        }
    }

    /// Waits for the flush in flight, if any, and throws its error.
    func wait() throws {
        guard inFlight else { return }
        done.wait()
        inFlight = false
        if let error = outcome {
            outcome = nil
            throw error
        }
    }
}
