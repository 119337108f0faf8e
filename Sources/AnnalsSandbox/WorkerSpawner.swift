import CAnnalsSupport

/// The one thread that starts worker processes, and lives as long as the process.
///
/// A worker asks the kernel to kill it when its parent dies (`PR_SET_PDEATHSIG`), and Linux sends that signal when
/// the *thread* that created the worker exits, not only the process. Executions run on short-lived threads (a
/// dispatch queue's), so a worker started from one of them would be killed when that thread is retired; every worker
/// is started from this thread instead.
final class WorkerSpawner: @unchecked Sendable {
    /// The shared spawner; its thread starts on first use.
    static let shared = WorkerSpawner()

    private let lock = ConditionLock()
    private var pending: [Request] = []

    private init() {
        startThread { [self] in
            annals_name_current_thread("annals.spawner")
            serve()
        }
    }

    /// Runs `body` on the spawner thread and returns its result once it has run.
    func run<T>(_ body: @escaping () -> T) -> T {
        var result: T?
        let request = Request { result = body() }
        lock.withLock {
            pending.append(request)
            lock.signal()
        }
        request.wait()
        return result!
    }

    private func serve() {
        while true {
            let request = lock.withLock {
                while pending.isEmpty { lock.wait(until: nil) }
                return pending.removeFirst()
            }
            request.perform()
        }
    }

    /// One piece of work, and its caller waiting for it.
    private final class Request: @unchecked Sendable {
        private let body: () -> Void
        private let lock = ConditionLock()
        private var done = false

        init(_ body: @escaping () -> Void) { self.body = body }

        func perform() {
            body()
            lock.withLock {
                done = true
                lock.signal()
            }
        }

        func wait() {
            lock.withLock {
                while !done { lock.wait(until: nil) }
            }
        }
    }
}
