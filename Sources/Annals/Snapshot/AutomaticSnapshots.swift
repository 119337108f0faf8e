import Foundation

/// Takes a snapshot in the background each time ``StoreOptions/snapshotInterval`` events have been appended since
/// the newest one. One at a time; a failure (such as a projection being rebuilt) waits for the next interval.
///
/// The newest snapshot reads could use (``EventStore/newestUsableSnapshot(in:)``: not a damaged one, nor one of an
/// earlier version of a projection) is what counts. It is looked up again before one is taken, and once more in the transaction that stores it:
/// another process appending to the store takes its own, and the writers of several processes must not each take
/// one per interval. It is also looked up again every sixteenth of an interval (and at once after this process
/// deleted snapshots): a rebuild's swap or a prune, in this process or another, may have deleted the newest ones,
/// and the next snapshot is then due sooner than the offset remembered would say.
final class AutomaticSnapshots: @unchecked Sendable {
    weak var store: EventStore?
    private let interval: UInt64
    private let background = BackgroundWork(name: "annals.snapshot")
    /// The offset of the newest snapshot as last looked up (0 for none), or `nil` until the first lookup or after
    /// ``forgetNewest()``.
    private var newest: UInt64?
    /// The head at the last lookup of ``newest``.
    private var lookedUpAt: UInt64 = 0
    /// The head of the last attempt that failed, until one succeeds: the next is due an interval after it.
    private var failedAt: UInt64?

    init(interval: Int) {
        self.interval = UInt64(max(interval, 0))
    }

    /// Called after each commit with the new head: starts a snapshot when one is due.
    func consider(head: UInt64) {
        guard interval > 0, let store else { return }
        background.start(ifDue: { () -> Bool in
            if newest == nil || head < lookedUpAt || head - lookedUpAt >= max(interval / 16, 1) {
                newest = (try? store.newestUsableSnapshot()) ?? 0
                lookedUpAt = head
            }
            return Self.isDue(head: head, after: max(newest!, failedAt ?? 0), interval: interval)
        }) { [self] in
            if let found = try? store.newestUsableSnapshot(), !Self.isDue(head: head, after: found, interval: interval)
            {
                background.withLock {
                    newest = found
                    lookedUpAt = head
                }
                return
            }
            let info = try? store.createSnapshot(unlessOneWithin: interval)
            background.withLock {
                if let info {
                    newest = info.offset
                    lookedUpAt = head
                    failedAt = nil
                } else {
                    failedAt = head
                }
            }
        }
    }

    /// Looks the newest snapshot up again before the next decision: this process deleted snapshots (a rebuild's
    /// swap, a prune), perhaps the newest.
    func forgetNewest() {
        background.withLock { newest = nil }
    }

    /// Whether a snapshot is due at `head` when the newest is at `newest`: `interval` events or more after it.
    /// Without overflow: a damaged snapshot key may be near 2^64.
    static func isDue(head: UInt64, after newest: UInt64, interval: UInt64) -> Bool {
        head > newest && head - newest >= interval
    }

    /// Stops taking snapshots; with `wait`, waits for a running one to finish.
    func stop(wait: Bool = true) { background.stop(wait: wait) }
}
