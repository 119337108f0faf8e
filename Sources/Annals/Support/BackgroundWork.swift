import Foundation

/// At most one piece of background work at a time, each on its own thread, with a stop that can wait for it.
/// Dictionary training, automatic snapshots and the catch-up of views left behind use it; their own state lives
/// under its lock (``withLock(_:)``).
final class BackgroundWork: @unchecked Sendable {
    private let name: String
    private let lock = ConditionLock()
    private var running = false
    private var stopping = false

    /// Work whose threads are named `name` (at most 15 bytes, as Linux keeps).
    init(name: String) { self.name = name }

    /// Runs `body` under the lock that guards the owner's state.
    func withLock<R>(_ body: () throws -> R) rethrows -> R { try lock.withLock(body) }

    /// Starts `work` on a new thread when nothing runs, the work is not stopping, and `due` (called under the lock)
    /// says so.
    func start(ifDue due: () -> Bool, _ work: @escaping @Sendable () -> Void) {
        let starting = lock.withLock { () -> Bool in
            guard !running, !stopping, due() else { return false }
            running = true
            return true
        }
        guard starting else { return }
        let thread = Thread { [self] in
            nameCurrentThread(name)
            work()
            lock.withLock {
                running = false
                lock.broadcast()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Runs `work` on the calling thread as this owner's work: waits for the work running, if any, to finish, and
    /// keeps other work from starting until `work` returns. Runs nothing and returns `nil` once stopping.
    func runHere<R>(_ work: () throws -> R) rethrows -> R? {
        let starting = lock.withLock { () -> Bool in
            while running && !stopping { lock.wait() }
            guard !stopping else { return false }
            running = true
            return true
        }
        guard starting else { return nil }
        defer {
            lock.withLock {
                running = false
                lock.broadcast()
            }
        }
        return try work()
    }

    /// Starts no more work; with `wait`, waits for running work to finish.
    func stop(wait: Bool) {
        lock.withLock {
            stopping = true
            while wait && running { lock.wait() }
        }
    }
}
