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
final class SyncFailureLatch: @unchecked Sendable {
    /// Held for a whole sync, so that syncs run one at a time.
    private let syncing = ConditionLock()
    /// Guards `failure` alone, so that ``current`` never waits for a sync.
    private let lock = ConditionLock()
    private var failure: AnnalsError?

    /// The error every write fails with once a sync has failed, or `nil`.
    var current: AnnalsError? { lock.withLock { failure } }

    /// Syncs `environment`'s data file, unless a sync failed before.
    /// - Parameter durable: The durable watermark before this sync, named by the error if it fails.
    /// - Throws: The latched failure, this sync's included.
    func sync(_ environment: Environment, durable: () -> UInt64) throws(AnnalsError) {
        syncing.lock()
        defer { syncing.unlock() }
        if let failure = current { throw failure }
        do {
            try environment.sync()
        } catch {
            throw record(error, durable: durable())
        }
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
