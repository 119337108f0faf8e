import Foundation
import LMDB
import Synchronization

/// An embedded, append-only event log in one directory: the durable LMDB store at the heart of Annals.
///
/// ```swift
/// let store = try EventStore(path: "/var/lib/myapp/events")
/// let receipt = try await store.append(NewEvent(type: "thing.created", targetId: "thing-1",
///                                               metadata: ["name": "Lamp"]))
/// for try await event in store.events(EventQuery(targetId: "thing-1")) { print(event.jsonLine) }
/// ```
///
/// Appends from any thread or task go to one writer thread that group-commits them; an append returns once its
/// transaction is committed and, with ``Durability/sync`` (the default), durable. Reads run in short read
/// transactions on the caller's thread. Other processes (such as the `annals` CLI) may open the same store to read
/// or append while this one runs. Open one `EventStore` per directory per process (LMDB's rule: a second open throws
/// ``AnnalsError/invalidArgument(_:)``); ``close()`` (or releasing the store) closes the environment, after which the
/// directory may be opened again.
public final class EventStore: @unchecked Sendable {
    /// The store's directory.
    public let path: String
    /// The options it was opened with.
    public let options: StoreOptions
    /// Whether this open created the store: gave it its format version and nonce. Of several processes opening a
    /// new directory at once, exactly one sees `true`.
    public let isNewlyCreated: Bool

    let environment: Environment
    let schema: StoreSchema
    let identity: EventIdentity
    let registry: DictionaryRegistry
    /// The watermark file (``WatermarkSource``).
    let watermarkSource: WatermarkSource
    /// The watermark file, if there is one yet (a read-only open looks for it again at every use).
    var watermark: DurableWatermark? { watermarkSource.current }
    /// The registered projections and their tables.
    let projections: ProjectionCatalog
    /// The knowledge embeddings in memory, for vector search.
    let vectorCache = VectorIndexCache()
    /// Wakes subscribers when the durable offset rises.
    let durableChanges: DurableChangeWaiter
    private let writer: Writer?
    /// The first failed sync in a mode that defers syncs, after which the store accepts no more writes.
    private let syncLatch = SyncFailureLatch()
    private let training: DictionaryTraining?
    /// Catches up the views another process's appends left behind (`nil` for a store opened read-only).
    let viewCatchUp: ViewCatchUp?
    private let automaticSnapshots: AutomaticSnapshots?
    private let closeState = CloseState()

    /// Opens the store in the directory `path`, creating it when ``StoreOptions/createIfMissing`` allows.
    ///
    /// A creation that fails (a failed sync, a full disk) removes the files it created (`data.mdb`, and `lock.mdb`
    /// and `watermark` when they did not exist before) and then a directory it created, while empty: unless another
    /// process has the store open, or made it its own meanwhile (wrote its format version, or opened it for writing).
    ///
    /// - Throws: ``AnnalsError/storeNotFound(path:)``, ``AnnalsError/unsupportedFormat(_:)``,
    ///   ``AnnalsError/invalidArgument(_:)`` for an empty `path`, an option out of its range (naming it) or when this
    ///   process has the store open already, or
    ///   ``AnnalsError/storage(_:)`` when LMDB cannot open it (locked, not an LMDB file, permissions).
    public init(path: String, options: StoreOptions = .init()) throws(AnnalsError) {
        self.path = path
        self.options = options
        guard !path.isEmpty else { throw .invalidArgument("the store path is empty") }
        try options.validate()
        let files = FileManager.default
        let create = options.createIfMissing && !options.readOnly
        // A new store's files (``NewStoreFiles``) and then a directory this open creates are removed again if the open
        // fails (a full disk, a failed sync): the directory only while still empty, so nothing another process put
        // there meanwhile is touched.
        var createdDirectory = false
        var newStore: NewStoreFiles?
        var openedEnvironment: Environment?
        var openedWatermark = false
        var wroteFormat: Bool?
        var opened = false
        defer {
            if !opened {
                if let newStore {
                    openedEnvironment?.close()
                    newStore.removeAfterFailure(openedWatermark: openedWatermark, wroteFormat: wroteFormat)
                }
                if createdDirectory { rmdir(path) }
            }
        }
        if !files.fileExists(atPath: path + "/data.mdb") {
            guard create else { throw .storeNotFound(path: path) }
            newStore = NewStoreFiles(directory: path)
            createdDirectory = !files.fileExists(atPath: path)
            do {
                try files.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                createdDirectory = false
                throw .io("cannot create the store directory \(path): \(Self.directoryCreationFailure(path))")
            }
        }
        if options.readOnly, !Self.awaitFirstPages(of: path + "/data.mdb") {
            throw .unsupportedFormat(Self.interruptedCreation)
        }
        let environment: Environment
        let schema: StoreSchema
        do {
            environment = try Environment(
                path: path,
                options: EnvironmentOptions(
                    mapSize: options.initialMapSize, maxMapSize: options.maximumMapSize,
                    maxReaders: options.maximumReaders,
                    maxDatabases: 32 + UInt32(ProjectionCatalog.databaseCount(options.projections)),
                    durability: options.durability,
                    readOnly: options.readOnly))
            openedEnvironment = environment
            // Another program's LMDB file is not written into (a writable open would add a store's databases).
            let names = try environment.databaseNames()
            let strangers = names.filter { !Self.isStoreDatabase($0) }
            if !strangers.isEmpty {
                throw AnnalsError.unsupportedFormat(
                    "the file holds databases no store has (\(strangers.prefix(5).joined(separator: ", "))): not a store "
                        + "this build knows")
            }
            do {
                schema = try StoreSchema(environment: environment, create: !options.readOnly)
            } catch let error as LMDBError where error.code == .notFound {
                guard Self.isInterruptedCreation(environment, names: names) else { throw error }
                guard options.readOnly, let completed = Self.awaitCreation(environment) else {
                    throw AnnalsError.unsupportedFormat(Self.interruptedCreation)
                }
                schema = completed
            }
            try Self.requireSoundOpeningPages(environment, schema, writable: !options.readOnly)
            func formatAndNonce() throws -> (format: UInt64?, nonce: UInt64?) {
                try environment.read { txn in
                    (try txn.metaU64(schema, MetaKey.formatVersion), try txn.metaU64(schema, MetaKey.nonce))
                }
            }
            // A reader waits for a creation in progress before it looks for the projections' databases, which the
            // creator makes before the format version.
            if options.readOnly, try formatAndNonce().format == nil,
                Self.isInterruptedCreation(environment, names: names)
            {
                _ = Self.awaitCreation(environment)
            }
            // The projections' databases before the format version, which marks the creation complete.
            projections = try ProjectionCatalog(
                environment: environment, projections: options.projections, create: !options.readOnly)
            let created = options.readOnly ? false : try Self.initializeMeta(environment, schema)
            isNewlyCreated = created
            wroteFormat = created
            let (format, nonce) = try formatAndNonce()
            let readable =
                format == StoreSchema.formatVersion
                || (options.readOnly && format == StoreSchema.upgradableFormatVersion)
            guard readable, let nonce else {
                if format == nil, Self.isInterruptedCreation(environment, names: names) {
                    throw AnnalsError.unsupportedFormat(Self.interruptedCreation)
                }
                throw AnnalsError.unsupportedFormat(
                    "format version \(format.map(String.init) ?? "missing") (this build reads versions "
                        + "\(StoreSchema.upgradableFormatVersion) and \(StoreSchema.formatVersion))")
            }
            identity = EventIdentity(nonce: nonce)
            self.environment = environment
            self.schema = schema
        } catch let error as AnnalsError {
            throw error
        } catch let error as LMDBError {
            if error.code == .alreadyOpenInProcess {
                throw .invalidArgument(
                    "the store at \(path) is already open in this process: share that EventStore (LMDB allows one open "
                        + "environment per file per process; close() that store first)")
            }
            if error.code == .notFound {
                // data.mdb exists (checked above), so a missing database means an unknown layout, not a missing store
                // (a store whose creation was cut short is named above).
                throw .unsupportedFormat("\(error.operation) found no such database: not a store this build knows")
            }
            throw .storage(error)
        } catch {
            throw .invalidArgument("\(error)")
        }
        registry = DictionaryRegistry(schema: schema, level: options.compressionLevel)
        // A watermark file may be left by a failed attempt too (no room for its blocks).
        openedWatermark = !options.readOnly
        let watermark = try DurableWatermark(directory: path, writable: !options.readOnly)
        watermarkSource = WatermarkSource(directory: path, watermark: watermark)
        durableChanges = DurableChangeWaiter(source: watermarkSource)
        guard !options.readOnly, let watermark else {
            writer = nil
            training = nil
            viewCatchUp = nil
            automaticSnapshots = nil
            opened = true
            return
        }
        let head: UInt64
        let headAfterSync: UInt64
        let seen: UInt64
        let mergedThrough: UInt64
        let maintenance: ProjectionMaintenancePlan
        do {
            maintenance = try ProjectionMaintenancePlan.atOpen(
                projections, environment: environment, schema: schema, policy: options.outdatedProjections)
            mergedThrough = try environment.read { txn in try txn.metaU64(schema, MetaKey.indexMergedThrough) ?? 0 }
            // Everything committed before the sync is durable after it, so the watermark may cover `head`.
            head = try environment.read { txn in try txn.lastOffset(schema) }
            try environment.sync()
            // Read before the second head: another writer publishes only what it has committed, so whatever it had
            // published by now is within that head, and a watermark beyond it can only be a leftover.
            seen = watermark.durableOffset
            headAfterSync = try environment.read { txn in try txn.lastOffset(schema) }
        } catch {
            throw AnnalsError(error)
        }
        // A watermark beyond every committed offset is left over from unsynced commits lost in a system crash.
        if seen > headAfterSync { watermark.lower(from: seen, to: head) }
        watermark.advance(to: head)
        watermark.markInitialized()
        let commit = GroupCommit(
            schema: schema, identity: identity, registry: registry,
            encoder: RecordEncoder(level: options.compressionLevel), maximumEventSize: options.maximumEventSize,
            projections: projections)
        let writer = Writer(
            environment: environment, options: options, commit: commit, watermark: watermark, head: head,
            mergedThrough: mergedThrough, syncLatch: syncLatch)
        self.writer = writer
        let training = DictionaryTraining(threshold: options.dictionaryTrainingThreshold)
        self.training = training
        let snapshots = AutomaticSnapshots(interval: options.snapshotInterval)
        self.automaticSnapshots = snapshots
        let viewCatchUp = ViewCatchUp()
        self.viewCatchUp = viewCatchUp
        training.store = self
        snapshots.store = self
        writer.onCommit = { [weak training, weak snapshots] head in
            training?.considerTraining(head: head)
            snapshots?.consider(head: head)
        }
        viewCatchUp.store = self
        writer.onViewsBehind = { [weak viewCatchUp] views in viewCatchUp?.consider(views) }
        writer.onAppendsWaiting = { [weak viewCatchUp] waiting in
            guard let viewCatchUp else {
                for (request, _) in waiting { request.completion(.failure(.closed)) }
                return
            }
            viewCatchUp.hold(waiting)
        }
        writer.start()
        do {
            try maintenance.run(self)
        } catch {
            close()
            throw AnnalsError(error)
        }
        opened = true
    }

    /// Checks the pages of `meta` (a few), which every open reads and a writable one may write before anything else,
    /// and for a `writable` open those appends write to: the path to the last record of `events` (where the next one
    /// is appended), `dictionaries`, the delta log `idx.delta` (appended to by every commit, and read whole by the
    /// next merge), the stream versions `streams` and `cursors`, and the records from the checkpoint before the head
    /// (whose hash the first append checks). A damaged one is `.corrupted` rather than a store of
    /// an unknown format, or a crash inside LMDB at the first append. (The `ids` of client ids, the posting lists a
    /// merge rewrites and the views are larger, and are not walked.)
    private static func requireSoundOpeningPages(_ environment: Environment, _ schema: StoreSchema, writable: Bool)
        throws(AnnalsError)
    {
        let names =
            writable
            ? [schema.meta, schema.events, schema.dictionaries, schema.delta.database, schema.streams, schema.cursors]
            : [schema.meta]
        try requireSoundPages(
            in: environment, of: names.map(\.name), ranges: logRanges([], in: schema), operation: "open",
            "the pages an open \(writable ? "for writing " : "")reads are damaged",
            advice: Self.logDamageAdvice)
        guard writable else { return }
        // The first append checks the head's hash against the records since the checkpoint before it
        // (`Transaction.checkedLogHead`): their pages too, found through the path to the head checked above.
        // (A last key that is no offset's fails the first append anyway.)
        guard let head = try? environment.read({ txn in try txn.lastOffset(schema) }) else { return }
        try requireSoundPages(
            in: environment, of: [schema.events.name],
            ranges: logRanges([RecordHeader.checkpoint(atOrBefore: head)...head], in: schema), operation: "open",
            "the pages an open for writing reads are damaged", advice: Self.logDamageAdvice)
    }

    /// Whether a store has a database named `name`: the log's (``StoreSchema/databaseNames``) or the projections'
    /// (``ProjectionCatalog/owns(_:)``).
    static func isStoreDatabase(_ name: String) -> Bool {
        StoreSchema.databaseNames.contains(name) || ProjectionCatalog.owns(name)
    }

    /// What a store whose creation was cut short (``isInterruptedCreation(_:names:)``) is.
    static let interruptedCreation =
        "a store whose creation was interrupted (an 'annals init' or first open that was killed): it holds no event; "
        + "run 'annals init' on it again"

    /// Whether `environment` is a store whose creation was cut short, which a writable open completes
    /// (``initializeMeta(_:_:)``): it holds only databases a store creates, and its `meta` and `events`, where they
    /// exist, are empty. Anything else (another program's LMDB file, a store that lost its format version to damage)
    /// is not.
    ///
    /// `names` are its databases as the open read them, all a store's (the open refuses others first).
    static func isInterruptedCreation(_ environment: Environment, names: [String]) -> Bool {
        for name in ["meta", "events"] where names.contains(name) {
            guard let database = try? environment.openDatabase(name),
                let entries = try? environment.read({ txn in try txn.statistics(database).entries }), entries == 0
            else { return false }
        }
        return true
    }

    /// How long a read-only open waits for a store that another process may be creating right now.
    static let creationWaitSeconds = 2.0

    /// For a read-only open that found a store whose creation is not complete (``isInterruptedCreation(_:names:)``):
    /// waits up to ``creationWaitSeconds`` for another process creating it to finish (a creation takes a few
    /// transactions, and a reader may open between them), checking every 5 ms.
    /// - Returns: The store's schema once its format version is written; `nil` when it stays incomplete (a creation
    ///   that was cut short).
    private static func awaitCreation(_ environment: Environment) -> StoreSchema? {
        var completed: StoreSchema?
        _ = waitForCreator {
            // `try?` flattens: `nil` when the format version is missing or cannot be read yet.
            guard let schema = try? StoreSchema(environment: environment, create: false),
                (try? environment.read({ txn in try txn.metaU64(schema, MetaKey.formatVersion) })) != nil
            else { return false }
            completed = schema
            return true
        }
        return completed
    }

    /// Checks `done` every 5 ms for up to ``creationWaitSeconds``, for a read-only open waiting on a process that may
    /// be creating the store; whether it became true.
    private static func waitForCreator(until done: () -> Bool) -> Bool {
        let deadline = monotonicSeconds() + creationWaitSeconds
        repeat {
            usleep(5_000)
            if done() { return true }
        } while monotonicSeconds() < deadline
        return false
    }

    /// For a read-only open: whether `dataFile` holds LMDB's first pages, waiting up to ``creationWaitSeconds`` for a
    /// process creating the store to write them. An empty file is a creation killed before LMDB's first write (or
    /// one that found no disk space), which LMDB's read-only open would report only as a bad file descriptor.
    private static func awaitFirstPages(of dataFile: String) -> Bool {
        func isEmpty() -> Bool {
            var status = stat()
            return stat(dataFile, &status) == 0 && status.st_size == 0
        }
        return !isEmpty() || waitForCreator { !isEmpty() }
    }

    /// Gives a new store its format version, nonce and creation time, or upgrades a format 2 store. Only a store with
    /// no record and no other meta entry is new: one that lost its format version to damage is left as it is, for
    /// the format check to refuse.
    /// - Returns: Whether the store was new (its meta was written by this call).
    private static func initializeMeta(_ environment: Environment, _ schema: StoreSchema) throws -> Bool {
        try environment.write { txn in
            let format = try txn.metaU64(schema, MetaKey.formatVersion)
            if format == nil {
                guard try txn.statistics(schema.meta).entries == 0, try txn.statistics(schema.events).entries == 0
                else { return false }
                try txn.setMetaU64(schema, MetaKey.formatVersion, StoreSchema.formatVersion)
                var generator = SystemRandomNumberGenerator()
                try txn.setMetaU64(schema, MetaKey.nonce, generator.next() & 0x0FFF_FFFF_FFFF_FFFF)
                try txn.setMetaU64(schema, MetaKey.createdAt, UInt64(currentTimeMilliseconds()))
                return true
            } else if format == StoreSchema.upgradableFormatVersion {
                try upgradeFromFormat2(txn, schema)
            }
            return false
        }
    }

    /// Format 2 → 3 in place: every record so far has a whole-hash (version 1) header, which format 3 still reads,
    /// so only where that ends is recorded. Tagged records are appended from now on.
    private static func upgradeFromFormat2(_ txn: borrowing Transaction, _ schema: StoreSchema) throws {
        try txn.setMetaU64(schema, MetaKey.upgradedAt, try txn.lastOffset(schema))
        try txn.setMetaU64(schema, MetaKey.formatVersion, StoreSchema.formatVersion)
    }

    deinit { close() }

    /// Tells the automatic snapshots that this process deleted snapshots (a rebuild's swap, a prune): the next one
    /// may be due sooner than the newest they remember says.
    func noteSnapshotsDeleted() { automaticSnapshots?.forgetNewest() }

    /// Finishes queued appends, syncs, stops the writer thread and closes the environment, releasing the store's
    /// files and locks: the directory may be opened again as soon as this returns. Later appends and reads fail
    /// with ``AnnalsError/closed``, as does the next `next()` of a lazy read (``events(_:)``) or a ``Subscription``
    /// already under way, whatever it has buffered. Called automatically when the store is released; a store
    /// released while a dictionary training, an automatic snapshot or the catch-up of a view another process left
    /// behind still uses it closes once that work ends, so call `close()` to release the directory at a known moment
    /// (it waits for that work).
    ///
    /// A second, concurrent call waits for the first to finish. Two kinds of call return at once instead, and the
    /// close finishes in the background: from the writer thread (an append's completion), where the writer then
    /// finishes the queue on its own; and inside one of the store's read transactions (a `read { }` closure), which
    /// the writer may need to end (to grow the map) before it can stop, and which the environment's close waits for.
    /// The transaction itself can still be read; the environment closes as soon as it ends.
    public func close() {
        let onWriterThread = writer?.isWriterThread == true
        let inTransaction = environment.hasTransactionOnCallingThread
        let waits = !onWriterThread && !inTransaction
        guard closeState.begin(waiting: waits) else { return }
        training?.stop(wait: waits)
        viewCatchUp?.stop(wait: waits)
        automaticSnapshots?.stop(wait: waits)
        // The environment closes on a thread that holds no transaction of it, once every other one has ended.
        let state = closeState
        let finish: @Sendable () -> Void = { [environment] in
            environment.close()
            state.finish()
        }
        if let writer {
            // The writer reports when its thread has ended: only then is the environment closed, and the store.
            writer.onStopped = finish
            writer.stop(waiting: waits)
        } else if waits {
            finish()
        } else {
            Thread(block: finish).start()
        }
    }

    /// Whether ``close()`` has been called (it may still be finishing): reads and appends fail with
    /// ``AnnalsError/closed`` from then on.
    var isClosed: Bool { closeState.hasBegun }

    // MARK: Appending

    /// Appends one event and returns its receipt once it is committed (and, with `.sync`, durable).
    /// - Throws: ``AnnalsError/invalidEvent(index:field:reason:)``, ``AnnalsError/eventTooLarge(index:size:limit:)``,
    ///   ``AnnalsError/versionConflict(index:targetId:expected:actual:)``, ``AnnalsError/storage(_:)``.
    public func append(_ event: NewEvent) async throws(AnnalsError) -> AppendReceipt {
        try await append(contentsOf: [event])[0]
    }

    /// Appends `events` as one atomic, contiguous batch: all of them or none.
    ///
    /// Events whose client id was already appended are not written again; their receipts are the originals,
    /// marked ``AppendReceipt/duplicate``.
    /// - Returns: One receipt per event, in order.
    /// - Throws: As ``append(_:)``; nothing of the batch is written when it throws.
    public func append(contentsOf events: [NewEvent]) async throws(AnnalsError) -> [AppendReceipt] {
        try await append(contentsOf: events, condition: nil)
    }

    /// Appends `events` as one atomic batch if `condition` holds in the writer's transaction (checked first against
    /// the events committed so far on this thread: ``prechecked(_:for:)``).
    func append(contentsOf events: [NewEvent], condition: AppendCondition?) async throws(AnnalsError)
        -> [AppendReceipt]
    {
        let request = try prepare(events)
        let condition = try condition.map { condition throws(AnnalsError) in try prechecked(condition, for: events) }
        do {
            return try await withCheckedThrowingContinuation { continuation in
                submit(request.events, condition: condition) { continuation.resume(with: $0) }
            }
        } catch {
            throw error as! AnnalsError
        }
    }

    /// Appends `events` as one atomic batch, blocking the calling thread until it is committed.
    ///
    /// For synchronous code; from async code prefer ``append(contentsOf:)``. Throws
    /// ``AnnalsError/invalidArgument(_:)`` when called from an append completion or inside a `read { }` closure,
    /// where waiting for the writer could wait for ever.
    public func appendAndWait(_ events: [NewEvent]) throws(AnnalsError) -> [AppendReceipt] {
        try appendAndWait(events, condition: nil)
    }

    /// ``appendAndWait(_:)`` of a batch appended only if `condition` holds in the writer's transaction.
    func appendAndWait(_ events: [NewEvent], condition: AppendCondition?) throws(AnnalsError) -> [AppendReceipt] {
        try refuseWaitingForWriter("appendAndWait")
        let request = try prepare(events)
        let condition = try condition.map { condition throws(AnnalsError) in try prechecked(condition, for: events) }
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<[AppendReceipt]>()
        submit(request.events, condition: condition) { result in
            box.result = result
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    /// Appends `events` as one atomic batch and calls `completion` on the writer thread when it is committed.
    ///
    /// The lowest-overhead way to keep many batches in flight. They are committed in the order they were submitted,
    /// with one exception: a batch with events a view behind the log must check (another process appended without
    /// that projection) waits for the view's catch-up and is submitted again, after the batches submitted meanwhile
    /// (docs/ARCHITECTURE.md, "Projections"); a caller whose batches depend on each other's order should then await
    /// each. `completion` must return quickly, and must not call
    /// what waits for the writer (``appendAndWait(_:)``, cursor changes, snapshots, rebuilds, ``mergeIndexes()``):
    /// those throw ``AnnalsError/invalidArgument(_:)`` there, as they do inside a `read { }` closure.
    public func append(
        _ events: [NewEvent], completion: @escaping @Sendable (Result<[AppendReceipt], AnnalsError>) -> Void
    ) {
        do {
            let request = try prepare(events)
            submit(request.events, completion)
        } catch {
            completion(.failure(error))
        }
    }

    struct Prepared {
        let events: [PreparedEvent]
    }

    func prepare(_ events: [NewEvent], allowEmpty: Bool = false) throws(AnnalsError) -> Prepared {
        guard writer != nil else { throw .invalidArgument("the store was opened read-only") }
        guard !isClosed else { throw .closed }
        guard !events.isEmpty || allowEmpty else { throw .invalidArgument("an append needs at least one event") }
        return Prepared(events: try PreparedEvent.prepareAll(events, now: currentTimeMilliseconds()))
    }

    func submit(
        _ events: [PreparedEvent], acknowledging acknowledgement: CursorAcknowledgement? = nil,
        condition: AppendCondition? = nil,
        _ completion: @escaping @Sendable (Result<[AppendReceipt], AnnalsError>) -> Void
    ) {
        // Refused from the moment `close()` begins, not only once it stops the writer: it first waits for the
        // background work (a training, a snapshot) to end, and an append committed meanwhile would be acknowledged
        // after the store's subscriptions and reads had already ended with `closed`.
        guard !isClosed else {
            completion(.failure(.closed))
            return
        }
        writer!.submit(
            .append(
                AppendRequest(
                    events: events, acknowledgement: acknowledgement, condition: condition, completion: completion)))
    }

    /// Queues again a batch that waited for a view to be caught up (``ViewCatchUp/hold(_:)``), or fails it with
    /// ``AnnalsError/closed`` once the store is closing.
    func resubmit(_ request: AppendRequest) {
        guard !isClosed, let writer else {
            request.completion(.failure(.closed))
            return
        }
        writer.submit(.append(request))
    }

    /// Syncs the data file now and advances the durable watermark over everything committed before the call.
    ///
    /// With ``Durability/sync`` every append is already durable and this only confirms it; with `.noSync` and
    /// `.noMetaSync` it makes the appends so far durable without waiting for the periodic sync.
    /// - Returns: The durable offset.
    /// - Throws: ``AnnalsError/io(_:)`` with `.noSync` and `.noMetaSync` once a sync of this store has failed (this
    ///   one or an earlier one, the writer's periodic syncs included): the events committed after the durable offset
    ///   may not be on disk, and the store accepts no more writes until it is reopened (docs/ARCHITECTURE.md,
    ///   "Durability"); ``AnnalsError/storage(_:)`` for a failed sync with `.sync`.
    @discardableResult
    public func sync() throws(AnnalsError) -> UInt64 {
        do {
            let head = try environment.read { txn in try txn.lastOffset(schema) }
            if !options.readOnly {
                // A sync that ran alongside a commit this caller cannot wait for (it holds a transaction) proves
                // nothing about that commit's sync: the watermark then waits for the next sync.
                if options.durability == .sync {
                    try environment.sync()
                    watermark?.advance(to: head)
                } else if try syncLatch.sync(environment, durable: { watermark?.durableOffset ?? 0 }) {
                    watermark?.advance(to: head)
                }
            }
            return try self.head().durableOffset
        } catch {
            throw AnnalsError(error)
        }
    }

    /// Merges the index delta log into the posting lists now (the writer does it every
    /// ``StoreOptions/indexMergeInterval`` events); returns the merge point.
    @discardableResult
    public func mergeIndexes() throws(AnnalsError) -> UInt64 {
        let box = ResultBox<UInt64>()
        do {
            try write { [schema] txn in box.result = .success(try schema.delta.merge(txn, schema: schema)) }
        } catch {
            throw AnnalsError(error)
        }
        return try box.result!.get()
    }

    // MARK: Custom write transactions

    /// Runs `body` in a write transaction on the writer thread, waits for the commit, and returns what `body`
    /// returned.
    func writeReturning<R>(
        calledBy call: String = #function, _ body: @escaping (borrowing Transaction) throws -> R
    ) throws -> R {
        let box = ResultBox<R>()
        try write(calledBy: call) { txn in box.result = .success(try body(txn)) }
        return try box.result!.get()
    }

    /// Queues `body` for a write transaction on the writer thread without waiting; `completion` runs on the writer
    /// thread after the commit (or the failure).
    func submitWrite(
        _ body: @escaping (borrowing Transaction) throws -> Void,
        completion: @escaping @Sendable ((any Error)?) -> Void
    ) {
        guard let writer else {
            completion(AnnalsError.invalidArgument("the store was opened read-only"))
            return
        }
        writer.submit(.transaction(body: body, completion: completion))
    }

    /// Runs `body` in a write transaction on the writer thread and waits for the commit.
    ///
    /// For maintenance that must be atomic with the log's state (installing a dictionary, for example). `body`
    /// must not block or wait on other work, and must not append through this store.
    ///
    /// `call` names the public call for the error a call made where it cannot wait gets (the caller's name by
    /// default).
    func write(calledBy call: String = #function, _ body: @escaping (borrowing Transaction) throws -> Void) throws {
        guard let writer else { throw AnnalsError.invalidArgument("the store was opened read-only") }
        try refuseWaitingForWriter(call)
        let done = DispatchSemaphore(value: 0)
        let box = ErrorBox()
        writer.submit(
            .transaction(
                body: body,
                completion: { error in
                    box.error = error
                    done.signal()
                }))
        done.wait()
        if let error = box.error { throw error }
    }
}

extension EventStore {
    /// Refuses a call that waits for the writer thread where that could wait for ever: on the writer thread itself
    /// (from an ``append(_:completion:)`` completion), and inside one of the store's read transactions (a
    /// `read { }` closure), which a writer that must grow the map waits for.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` naming `call`.
    func refuseWaitingForWriter(_ call: String) throws(AnnalsError) {
        if writer?.isWriterThread == true {
            throw .invalidArgument(
                "\(call) waits for the writer thread and was made on it (from an append completion handler or a "
                    + "projection's apply, which run there): make it from another thread or task")
        }
        if environment.hasTransactionOnCallingThread {
            throw .invalidArgument(
                "\(call) waits for the writer thread and was made inside a read transaction (a read { } closure), "
                    + "which the writer may have to wait for: make it after the closure returns")
        }
    }
}

/// A result handed from the writer thread to a waiting thread.
final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, AnnalsError>?
}

/// An error handed from the writer thread to a waiting thread.
final class ErrorBox: @unchecked Sendable {
    var error: (any Error)?
}

/// Whether a store is closing or closed; shared with the writer, which finishes the close when its thread ends.
final class CloseState: @unchecked Sendable {
    private let lock = ConditionLock()
    private var started = false
    private var finished = false
    /// ``started``, readable without the lock: a subscription checks it for every event it hands out.
    private let begun = Atomic<Bool>(false)

    /// Whether a close has started (the store accepts nothing more from then on).
    var hasBegun: Bool { begun.load(ordering: .acquiring) }

    /// Starts closing; returns `false` if a close had already started (after waiting for it to finish, when
    /// `waiting`).
    func begin(waiting: Bool) -> Bool {
        lock.withLock {
            if started {
                while waiting && !finished { lock.wait() }
                return false
            }
            started = true
            begun.store(true, ordering: .releasing)
            return true
        }
    }

    /// Marks the close as finished and wakes those waiting for it.
    func finish() {
        lock.withLock {
            finished = true
            lock.broadcast()
        }
    }
}
