extension StopSignals {
    /// Runs `operation` in a task that is cancelled once a stop signal is received (looked for every 50 ms: a signal
    /// handler cannot resume a task), and returns what it returns then: for a long step, such as a `plugin dispatch`
    /// pass waiting out a retry's backoff, that ends early and keeps what it did.
    static func cancellingOnStop<T: Sendable>(
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                while !received { try await Task.sleep(for: .milliseconds(50)) }
                return nil
            }
            while let finished = try await group.next() {
                // The operation's result ends the watch; the watch's end (a stop) cancels the operation, whose
                // result is awaited still.
                group.cancelAll()
                if let result = finished { return result }
            }
            throw CancellationError()
        }
    }
}
