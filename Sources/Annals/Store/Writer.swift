import Foundation
import LMDB

/// The one thread that writes. Appends from any thread or task are queued here and group-committed: every batch
/// waiting when a transaction starts shares that transaction and its sync. Nothing awaits inside a transaction.
///
/// Between commits the thread also syncs (for `.noSync` and `.noMetaSync`), clears stale reader slots, and
/// starts dictionary training when the log has grown enough.
final class Writer: @unchecked Sendable {
    private let environment: Environment
    private let options: StoreOptions
    private let commit: GroupCommit
    private let watermark: DurableWatermark
    private let lock = ConditionLock()
    private var queue: [WriterTask] = []
    private var stopping = false
    private var stopped = false
    private var thread: Thread?
    /// Called on the writer thread after each commit that appended events, with the new head.
    var onCommit: (@Sendable (UInt64) -> Void)?
    /// Called on the writer thread after an append group that found views of this process's projections behind the
    /// log (appended to by a process without those projections), with those views.
    var onViewsBehind: (@Sendable ([LaggingView]) -> Void)?
    /// Called on the writer thread after an append group with the batches that wait for a view behind the log to be
    /// caught up (an event of theirs is one its projection may reject: ``ViewsNotLive``), not yet completed. Without
    /// it they fail with ``AnnalsError/projectionUnavailable(name:reason:)``.
    var onAppendsWaiting: (@Sendable ([(request: AppendRequest, behind: ViewLeftBehind)]) -> Void)?
    /// Called once the thread has drained the queue and synced, just before it ends (and before a waiting ``stop()``
    /// returns).
    var onStopped: (@Sendable () -> Void)?

    /// The last committed offset as this process knows it (guarded by `lock`).
    private var committedHead: UInt64
    private var lastSyncedHead: UInt64
    private var lastSync = monotonicSeconds()
    private var lastReaderCheck = monotonicSeconds()
    /// The merge point of the secondary indexes, as last seen.
    private var mergedThrough: UInt64
    /// The first failed sync (with `.noSync` and `.noMetaSync`), after which every write fails.
    private let syncLatch: SyncFailureLatch

    init(
        environment: Environment, options: StoreOptions, commit: GroupCommit, watermark: DurableWatermark,
        head: UInt64, mergedThrough: UInt64, syncLatch: SyncFailureLatch
    ) {
        self.syncLatch = syncLatch
        self.mergedThrough = mergedThrough
        self.environment = environment
        self.options = options
        self.commit = commit
        self.watermark = watermark
        self.committedHead = head
        self.lastSyncedHead = head
    }

    func start() {
        let thread = Thread { [self] in
            nameCurrentThread(Self.threadName)
            run()
        }
        thread.name = Self.threadName
        thread.qualityOfService = .userInitiated
        self.thread = thread
        self.writerThread = thread
        thread.start()
    }

    /// The writer thread's name, as `top -H` and debuggers show it.
    static let threadName = "annals.writer"

    /// Whether the caller is the writer thread (where blocking on the writer would deadlock).
    var isWriterThread: Bool { Thread.current === writerThread }

    /// The writer thread, kept for ``isWriterThread`` without keeping the thread object alive.
    private weak var writerThread: Thread?

    /// Queues a task. Fails it at once with ``AnnalsError/closed`` after ``stop()``.
    func submit(_ task: WriterTask) {
        lock.lock()
        if stopping {
            lock.unlock()
            switch task {
            case .append(let request): request.completion(.failure(.closed))
            case .transaction(_, let completion): completion(AnnalsError.closed)
            }
            return
        }
        queue.append(task)
        lock.signal()
        lock.unlock()
    }

    /// Finishes every queued task, syncs, and ends the thread. Blocks until done when `waiting`.
    ///
    /// Called on the writer thread itself (from a completion, or when the last reference to the store goes away
    /// there), or without `waiting`, it only asks the thread to stop: waiting would deadlock. The thread then drains
    /// the queue, syncs and ends, keeping the environment alive until it has.
    func stop(waiting: Bool = true) {
        lock.lock()
        stopping = true
        lock.broadcast()
        if waiting && !isWriterThread {
            while !stopped { lock.wait() }
        }
        lock.unlock()
    }

    private func run() {
        while true {
            lock.lock()
            while queue.isEmpty && !stopping {
                lock.wait(seconds: idleWait)
                if queue.isEmpty { break }
            }
            if queue.isEmpty && stopping {
                lock.unlock()
                break
            }
            gatherConcurrentAppends()
            let batch = takeBatch()
            lock.unlock()
            if !batch.isEmpty { process(batch) }
            periodicWork()
        }
        syncIfNeeded(force: true)
        // Before `stop()` returns: the callback closes the environment, which a caller may reopen at once.
        lock.withLock { onStopped }?()
        lock.withLock {
            stopped = true
            // The Thread object keeps its closure, which keeps this writer (and the environment) alive: let go.
            thread = nil
            lock.broadcast()
        }
    }

    /// How long a commit may wait for more concurrent appends to join it.
    static let gatherWindow = 0.0002
    /// Requests in the last append group: when fewer are queued, more are probably on their way.
    private var lastGroupRequests = 0

    /// Group commit's gathering step (lock held): when the last group had more appenders than are queued now, waits
    /// up to ``gatherWindow`` for them, so that concurrent appenders keep sharing commits and syncs.
    private func gatherConcurrentAppends() {
        guard options.durability == .sync, !stopping, case .append = queue.first, lastGroupRequests > 1 else { return }
        let deadline = monotonicSeconds() + Self.gatherWindow
        while queue.count < lastGroupRequests && !stopping {
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 { break }
            lock.wait(seconds: remaining)
        }
    }

    private var idleWait: Double {
        options.durability == .sync ? options.staleReaderCheckInterval : options.syncInterval
    }

    /// Takes the queued tasks for one transaction: appends up to the size cap, or one custom transaction.
    private func takeBatch() -> [WriterTask] {
        if case .transaction = queue.first { return [queue.removeFirst()] }
        var taken = 0
        var events = 0
        while taken < queue.count, case .append(let request) = queue[taken] {
            if taken > 0 && events + request.events.count > options.maximumEventsPerCommit { break }
            events += request.events.count
            taken += 1
        }
        let batch = Array(queue[0..<taken])
        queue.removeFirst(taken)
        return batch
    }

    private func process(_ batch: [WriterTask]) {
        // After a failed sync nothing more is written: what the failure dropped must not be built upon.
        if let failure = syncLatch.current {
            for task in batch {
                switch task {
                case .append(let request): request.completion(.failure(failure))
                case .transaction(_, let completion): completion(failure)
                }
            }
            return
        }
        if case .transaction(let body, let completion) = batch[0] {
            do {
                _ = try commitTransaction { txn in try body(txn) }
                completion(nil)
            } catch {
                completion(error)
            }
            return
        }
        let requests = batch.compactMap { task -> AppendRequest? in
            if case .append(let request) = task { return request }
            return nil
        }
        lastGroupRequests = requests.count
        let outcome: GroupCommit.Outcome
        let proven: Bool
        do {
            (outcome, proven) = try commitTransaction { txn in try commit.apply(requests, txn) }
        } catch {
            let failure = AnnalsError(error)
            for request in requests { request.completion(.failure(failure)) }
            return
        }
        if outcome.appended > 0 {
            published(head: outcome.head, proven: proven)
            // Before the completions: while the appenders wait, the store they hold cannot be released on this
            // thread (where its close could not wait) when the background work lets go of it.
            onCommit?(outcome.head)
        }
        let hold = onAppendsWaiting
        let waiting = hold == nil ? [] : outcome.waiting
        let held = Set(waiting.map(\.request))
        for (index, (request, result)) in zip(requests, outcome.results).enumerated() where !held.contains(index) {
            request.completion(result)
        }
        if !outcome.behind.isEmpty { onViewsBehind?(outcome.behind) }
        if let hold, !waiting.isEmpty { hold(waiting.map { (requests[$0.request], $0.behind) }) }
        if outcome.head >= mergedThrough + UInt64(max(options.indexMergeInterval, 1)) { mergeIndexes() }
    }

    /// Moves the index delta log into the posting lists, in its own transaction (none after a failed sync).
    private func mergeIndexes() {
        guard syncLatch.current == nil else { return }
        let schema = commit.schema
        // A merge that fails is tried again after the next commit, unless its commit's sync failed.
        if let merged = try? commitTransaction({ txn in try schema.delta.merge(txn, schema: schema) }) {
            mergedThrough = merged.result
        }
    }

    /// Runs `body` in a write transaction and commits it. With `.noMetaSync`, whose commits sync, the latch knows
    /// the commit is in progress (``SyncFailureLatch/commitBegins()``), and a commit that fails is latched
    /// (``latchFailedCommit(_:)``) before it ends.
    /// - Returns: What `body` returned, and whether the commit's data sync proves the previous commit durable (with
    ///   `.noMetaSync`, when no sync failed before it ended and none of ``EventStore/sync()`` ran alongside it).
    /// - Throws: The latched failure, or what the transaction threw.
    private func commitTransaction<R>(
        _ body: (borrowing Transaction) throws -> R
    ) throws -> (result: R, proven: Bool) {
        guard options.durability == .noMetaSync else { return (try environment.write(body), false) }
        let token = syncLatch.commitBegins()
        do {
            let result = try environment.write(body)
            return (result, syncLatch.commitEnded(token))
        } catch {
            let failure = latchFailedCommit(error)
            syncLatch.commitEnded(token)
            throw failure ?? error
        }
    }

    /// With `.noMetaSync` a commit's data sync also flushes the previous commit's meta page: when a commit (an
    /// append's, a custom transaction's or an index merge's) fails there, that page may be lost, so the previous
    /// commit is not durable and nothing more is written. Latches such a failure and returns the latched error; `nil`
    /// for any other failure. Called for `.noMetaSync` commits only (``commitTransaction(_:)``).
    private func latchFailedCommit(_ error: any Error) -> AnnalsError? {
        guard let failed = error as? LMDBError, failed.operation == "mdb_txn_commit" else { return nil }
        return syncLatch.record(failed, durable: watermark.durableOffset)
    }

    /// Publishes a commit: the durable watermark as far as the durability mode allows, and the commit sequence.
    /// - Parameter proven: With `.noMetaSync`, whether the commit's data sync proves the previous commit durable.
    private func published(head: UInt64, proven: Bool) {
        let previous = lock.withLock { () -> UInt64 in
            defer { committedHead = head }
            return committedHead
        }
        switch options.durability {
        case .sync:
            watermark.advance(to: head)
        // A commit whose sync ran alongside one of ``EventStore/sync()``, or after a failed one, proves nothing.
        case .noMetaSync where proven:
            // This commit's data sync also flushed the previous commit's meta page.
            watermark.advance(to: previous)
        case .noMetaSync, .noSync:
            break
        }
        watermark.noteCommit()
    }

    private func periodicWork() {
        let now = monotonicSeconds()
        if options.durability != .sync && now - lastSync >= options.syncInterval { syncIfNeeded(force: false) }
        if now - lastReaderCheck >= options.staleReaderCheckInterval {
            lastReaderCheck = now
            _ = try? environment.checkStaleReaders()
        }
    }

    /// Syncs the data file and advances the watermark to what was committed before the sync.
    private func syncIfNeeded(force: Bool) {
        lastSync = monotonicSeconds()
        guard options.durability != .sync else { return }
        let head = lock.withLock { committedHead }
        guard force || head > lastSyncedHead else { return }
        // A failure is latched: appends and writes fail from now on, and the watermark stays where it is.
        guard (try? syncLatch.sync(environment, durable: { lastSyncedHead })) == true else { return }
        lastSyncedHead = head
        watermark.advance(to: head)
    }
}
