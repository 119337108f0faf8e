import Foundation

/// Takes a snapshot in the background each time ``StoreOptions/snapshotInterval`` events have been appended since
/// the newest one. One at a time; a failure (such as a projection being rebuilt) waits for the next interval.
///
/// The newest snapshot is looked up again before one is taken, and once more in the transaction that stores it:
/// another process appending to the store takes its own, and the writers of several processes must not each take
/// one per interval.
final class AutomaticSnapshots: @unchecked Sendable {
    weak var store: EventStore?
    private let interval: UInt64
    private let background = BackgroundWork(name: "annals.snapshot")
    /// The offset of the newest snapshot, or of the last attempt.
    private var last: UInt64?

    init(interval: Int) {
        self.interval = UInt64(max(interval, 0))
    }

    /// Called after each commit with the new head: starts a snapshot when one is due.
    func consider(head: UInt64) {
        guard interval > 0, let store else { return }
        background.start(ifDue: { () -> Bool in
            if last == nil { last = (try? store.snapshotKeys().last) ?? 0 }
            return Self.isDue(head: head, after: last!, interval: interval)
        }) { [self] in
            if let newest = try? store.snapshotKeys().last, !Self.isDue(head: head, after: newest, interval: interval) {
                background.withLock { last = newest }
                return
            }
            let info = try? store.createSnapshot(unlessOneWithin: interval)
            background.withLock { last = info?.offset ?? head }
        }
    }

    /// Whether a snapshot is due at `head` when the newest is at `newest`: `interval` events or more after it.
    /// Without overflow: a damaged snapshot key may be near 2^64.
    static func isDue(head: UInt64, after newest: UInt64, interval: UInt64) -> Bool {
        head > newest && head - newest >= interval
    }

    /// Stops taking snapshots; with `wait`, waits for a running one to finish.
    func stop(wait: Bool = true) { background.stop(wait: wait) }
}
