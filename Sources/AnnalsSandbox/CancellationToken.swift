import Synchronization

/// Cancels a running execution from another thread: ``cancel()`` stops the execution the token was passed to
/// (at its next fuel charge, or by killing its worker process), which then fails with
/// ``SandboxFailure/Kind/cancelled``. An execution started with a token already cancelled fails at once.
///
/// ```swift
/// let token = CancellationToken()
/// // elsewhere: token.cancel()
/// try sandbox.invoke(module: module, action: "run", input: input, cancellation: token)
/// ```
public final class CancellationToken: Sendable {
    private struct State {
        var cancelled = false
        var handlers: [UInt64: @Sendable () -> Void] = [:]
        var nextHandler: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates a token that is not cancelled.
    public init() {}

    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Cancels the executions using this token; later calls do nothing.
    public func cancel() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.cancelled else { return [] }
            state.cancelled = true
            defer { state.handlers = [:] }
            return Array(state.handlers.values)
        }
        for handler in handlers { handler() }
    }

    /// Calls `handler` on cancellation (at once if already cancelled); returns the id to pass to
    /// ``removeHandler(_:)``, or `nil` if it was called at once.
    func addHandler(_ handler: @escaping @Sendable () -> Void) -> UInt64? {
        let id = state.withLock { state -> UInt64? in
            guard !state.cancelled else { return nil }
            state.nextHandler += 1
            state.handlers[state.nextHandler] = handler
            return state.nextHandler
        }
        if id == nil { handler() }
        return id
    }

    /// Forgets a handler.
    func removeHandler(_ id: UInt64?) {
        guard let id else { return }
        _ = state.withLock { $0.handlers.removeValue(forKey: id) }
    }
}
