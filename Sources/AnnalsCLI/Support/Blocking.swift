import Dispatch

/// Runs an async operation to completion from synchronous CLI code (commands are synchronous; the library's
/// writes are async because they wait for the writer thread's commit).
func blocking<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = BlockingOutcome<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            outcome.result = .success(try await operation())
        } catch {
            outcome.result = .failure(error)
        }
        done.signal()
    }
    done.wait()
    return try outcome.result!.get()
}

/// The result a ``blocking(_:)`` task hands back; written once before the semaphore is signalled.
private final class BlockingOutcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
