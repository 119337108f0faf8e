import Foundation

/// Runs blocking work (a download, a file lock a prune holds) on a thread of its own and waits for it without
/// blocking: the calling task is suspended, and none of the cooperative pool's threads (one per core) is held for
/// the minutes a slow download may take, so an embedding program's other tasks keep running.
///
/// The work is not cancelled with the calling task: it runs to its end (a download's own timeouts bound it).
/// - Parameters:
///   - name: The thread's name (at most 15 bytes are kept by Linux), as `top -H` and `perf` show it.
///   - work: The blocking work.
/// - Returns: What `work` returns.
/// - Throws: What `work` throws.
func onDedicatedThread<T, E: Error>(named name: String, _ work: @escaping () throws(E) -> T) async throws(E) -> T {
    let handoff = Handoff(work)
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let thread = Thread {
            handoff.run()
            continuation.resume()
        }
        thread.name = name
        thread.start()
    }
    return try handoff.result!.get()
}

/// The work and its result, handed from the waiting task to the thread and back. Only one side touches it at a
/// time: the thread until it resumes the task, the task after.
private final class Handoff<T, E: Error>: @unchecked Sendable {
    private let work: () throws(E) -> T
    private(set) var result: Result<T, E>?

    init(_ work: @escaping () throws(E) -> T) { self.work = work }

    func run() { result = Result { () throws(E) -> T in try work() } }
}
