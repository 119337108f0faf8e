import LMDB

/// The syncs of the data file in the durability modes that defer them (`.noSync`, `.noMetaSync`), and the first one
/// that failed.
///
/// On Linux a failed `fdatasync` can leave the pages it could not write marked clean: a later sync then succeeds
/// without writing them, so it proves nothing about what was committed before the failure. After a failed sync the
/// store therefore stops, as RocksDB and PostgreSQL do: it accepts no more writes, never advances its durable
/// watermark again, and every append, write and ``EventStore/sync()`` fails with the same error until the store is
/// reopened.
///
/// The syncs of ``EventStore/sync()``, the writer thread's periodic syncs and (with `.noMetaSync`) its commits' data
/// syncs may run alongside each other. They sync the same file descriptor, and the kernel reports a write error to
/// only one of the syncs that overlap it, which may not be the one whose pages were lost: so a sync that overlapped
/// others proves something only once those have ended without a failure. A sync waits for them (unless its caller
/// holds a transaction, which one of them may be waiting for: it then proves nothing); a commit does not wait, and
/// proves nothing (the watermark waits for the next sync). Nothing holds a lock while it syncs, so no sync waits for
/// another to begin or for a transaction to end.
final class SyncFailureLatch: @unchecked Sendable {
    /// Guards everything below, never held during a sync, so that ``current`` never waits for one.
    private let lock = ConditionLock()
    private var failure: AnnalsError?
    /// The syncs in progress, by the number of their start (from 1).
    private var inProgress: Set<UInt64> = []
    /// The syncs begun so far.
    private var begun: UInt64 = 0

    /// The error every write fails with once a sync has failed, or `nil`.
    var current: AnnalsError? { lock.withLock { failure } }

    /// Syncs `environment`'s data file, unless a sync failed before.
    /// - Parameter durable: The durable watermark before this sync, named by the error if it fails.
    /// - Returns: Whether the sync proves durable what was committed before it began: `false` only when another sync
    ///   ran alongside it that had not ended when it returned, and the caller holds a transaction (so it cannot wait).
    /// - Throws: The latched failure: an earlier one, this sync's, or that of a sync that ran alongside it.
    @discardableResult
    func sync(_ environment: Environment, durable: () -> UInt64) throws(AnnalsError) -> Bool {
        let started = lock.withLock { () -> Result<Started, AnnalsError> in
            if let failure { return .failure(failure) }
            return .success(begin())
        }
        let token = try started.get()
        do {
            try environment.sync()
        } catch {
            // The store closed under this call (its writer made the last sync): nothing failed to reach the disk.
            if error.code == .environmentClosed {
                lock.withLock { _ = end(token) }
                throw .closed
            }
            let latched = record(error, durable: durable())
            lock.withLock { _ = end(token) }
            throw latched
        }
        lock.lock()
        defer { lock.unlock() }
        if end(token) {
            // A sync that overlapped this one may have been told of a failure that dropped pages this one was to
            // write: wait until every sync begun before this one ended has ended too (and latched its failure).
            if environment.hasTransactionOnCallingThread { return false }
            let through = begun
            while inProgress.contains(where: { $0 <= through }) { lock.wait() }
        }
        if let failure { throw failure }
        return true
    }

    /// A commit whose data sync (with `.noMetaSync`) may run alongside other syncs begins: the token for
    /// ``commitEnded(_:)``.
    func commitBegins() -> Started {
        lock.withLock { begin() }
    }

    /// The commit of `token` has ended (and its failure, if its sync failed, is latched already).
    /// - Returns: Whether its sync proves the earlier commits durable: no failure is latched, and no other sync ran
    ///   alongside it.
    @discardableResult
    func commitEnded(_ token: Started) -> Bool {
        lock.withLock { !end(token) && failure == nil }
    }

    /// A sync in progress, as ``commitBegins()`` returns it.
    struct Started {
        /// The number of its start.
        fileprivate let number: UInt64
        /// Whether no other sync was in progress when it began.
        fileprivate let alone: Bool
    }

    /// Notes a sync beginning (lock held).
    private func begin() -> Started {
        begun += 1
        let started = Started(number: begun, alone: inProgress.isEmpty)
        inProgress.insert(begun)
        return started
    }

    /// Notes the sync of `token` ending (lock held), and wakes the syncs waiting for it.
    /// - Returns: Whether another sync ran alongside it.
    private func end(_ token: Started) -> Bool {
        inProgress.remove(token.number)
        lock.broadcast()
        return !token.alone || begun != token.number || !inProgress.isEmpty
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
