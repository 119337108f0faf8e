import Foundation

/// Takes a snapshot in the background each time ``StoreOptions/snapshotInterval`` events have been appended since
/// the newest one. One at a time; a failure (such as a projection being rebuilt) waits for the next interval.
final class AutomaticSnapshots: @unchecked Sendable {
    weak var store: EventStore?
    private let interval: UInt64
    private let lock = ConditionLock()
    private var running = false
    private var stopping = false
    /// The offset of the newest snapshot, or of the last attempt.
    private var last: UInt64?

    init(interval: Int) {
        self.interval = UInt64(max(interval, 0))
    }

    /// Called after each commit with the new head: starts a snapshot when one is due.
    func consider(head: UInt64) {
        guard interval > 0, let store else { return }
        let due = lock.withLock { () -> Bool in
            guard !running, !stopping else { return false }
            if last == nil { last = (try? store.snapshotKeys().last) ?? 0 }
            guard head >= last! + interval else { return false }
            running = true
            return true
        }
        guard due else { return }
        let thread = Thread { [self] in
            let info = try? store.createSnapshot()
            lock.withLock {
                last = info?.offset ?? head
                running = false
                lock.broadcast()
            }
        }
        thread.name = "annals.snapshots"
        thread.start()
    }

    /// Stops taking snapshots; with `wait`, waits for a running one to finish.
    func stop(wait: Bool = true) {
        lock.withLock {
            stopping = true
            while wait && running { lock.wait() }
        }
    }
}
