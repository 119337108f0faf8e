import LMDB

/// The syncs of the data file in the durability modes that defer them (`.noSync`, `.noMetaSync`), and the first one
/// that failed.
///
/// On Linux a failed `fdatasync` can leave the pages it could not write marked clean: a later sync then succeeds
/// without writing them, so it proves nothing about what was committed before the failure. After a failed sync the
/// store therefore stops, as RocksDB and PostgreSQL do: it accepts no more writes, never advances its durable
/// watermark again, and every append, write and ``EventStore/sync()`` fails with the same error until the store is
/// reopened. The writer thread's syncs and ``EventStore/sync()`` run under one lock, so a sync that succeeds after
/// another one failed can never be reported before that failure.
///
/// With `.noMetaSync` every commit syncs too, on the writer thread, alongside ``EventStore/sync()``. Both sync the
/// same file descriptor, and the kernel reports a write error to only one of the syncs that overlap it, which may not
/// be the one whose pages were lost: so a sync that overlapped a commit proves something only once that commit has
/// ended without a failure, and a commit's sync that overlapped another sync proves nothing (the watermark then
/// waits for the next periodic sync).
final class SyncFailureLatch: @unchecked Sendable {
    /// Held for a whole sync, so that syncs run one at a time.
    private let syncing = ConditionLock()
    /// Guards `failure` and the counts below, so that ``current`` never waits for a sync.
    private let lock = ConditionLock()
    private var failure: AnnalsError?
    /// Whether a sync of ``sync(_:durable:)`` is in progress, and how many have begun.
    private var syncInProgress = false
    private var syncsBegun: UInt64 = 0
    /// Whether a commit (with `.noMetaSync`, which syncs) is in progress, and how many have begun.
    private var committing = false
    private var commitsBegun: UInt64 = 0

    /// The error every write fails with once a sync has failed, or `nil`.
    var current: AnnalsError? { lock.withLock { failure } }

    /// Syncs `environment`'s data file, unless a sync failed before.
    /// - Parameter durable: The durable watermark before this sync, named by the error if it fails.
    /// - Returns: Whether the sync proves durable what was committed before it began: `false` only when it overlapped
    ///   a commit that had not ended when it returned, and the caller holds a transaction (so it cannot wait for the
    ///   commit, which may wait for that transaction to end).
    /// - Throws: The latched failure, this sync's included, and that of a commit that overlapped this sync.
    @discardableResult
    func sync(_ environment: Environment, durable: () -> UInt64) throws(AnnalsError) -> Bool {
        syncing.lock()
        defer { syncing.unlock() }
        let latched = lock.withLock { () -> AnnalsError? in
            if let failure { return failure }
            syncInProgress = true
            syncsBegun += 1
            return nil
        }
        if let latched { throw latched }
        do {
            try environment.sync()
        } catch {
            let latched = record(error, durable: durable())
            lock.withLock { syncInProgress = false }
            throw latched
        }
        lock.lock()
        defer { lock.unlock() }
        syncInProgress = false
        // A commit that overlapped this sync may have been told of a failure that dropped pages this sync was to
        // write: wait until it has ended (and latched its failure).
        if committing {
            if environment.hasTransactionOnCallingThread { return false }
            let current = commitsBegun
            while committing && commitsBegun == current { lock.wait() }
        }
        if let failure { throw failure }
        return true
    }

    /// A commit whose data sync (with `.noMetaSync`) runs alongside the syncs of ``sync(_:durable:)`` begins: the
    /// token for ``commitEnded(_:)``.
    func commitBegins() -> CommitToken {
        lock.withLock {
            committing = true
            commitsBegun += 1
            return CommitToken(syncInProgress: syncInProgress, syncsBegun: syncsBegun)
        }
    }

    /// The commit of `token` has ended (and its failure, if its sync failed, is latched already).
    /// - Returns: Whether its sync proves the earlier commits durable: no failure is latched, and no sync of
    ///   ``sync(_:durable:)`` ran alongside it.
    @discardableResult
    func commitEnded(_ token: CommitToken) -> Bool {
        lock.withLock {
            committing = false
            lock.broadcast()
            return failure == nil && !token.syncInProgress && !syncInProgress && syncsBegun == token.syncsBegun
        }
    }

    /// What ``commitBegins()`` saw of the syncs of ``sync(_:durable:)``.
    struct CommitToken {
        fileprivate let syncInProgress: Bool
        fileprivate let syncsBegun: UInt64
    }

    /// Latches `error`, a failed commit whose syncs may not have written earlier commits' pages, unless a failure is
    /// latched already; returns the latched failure.
    @discardableResult
    func record(_ error: LMDBError, durable: UInt64) -> AnnalsError {
        lock.withLock {
            if let failure { return failure }
            let latched = Self.failure(error, durable: durable)
            failure = latched
            return latched
        }
    }

    /// The error a failed sync latches: what failed, what may be lost, and what to do.
    private static func failure(_ error: LMDBError, durable: UInt64) -> AnnalsError {
        .io(
            "\(error); the events committed after offset \(durable) may not be on disk (a failed sync can leave "
                + "the pages it could not write marked clean), so this store accepts no more writes and reports "
                + "nothing more as durable: close and reopen it to go on, and after a system crash check the log "
                + "with `annals verify`")
    }
}
