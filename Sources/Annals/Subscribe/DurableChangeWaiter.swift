import Foundation

/// Suspends tasks until the durable offset may have risen, in this process or another.
///
/// One thread per store sleeps on the watermark file's wake word with a futex (woken by any process's writer when
/// the durable offset rises) and resumes every waiting task. It also wakes every quarter second, so a missed
/// wake-up costs at most that long (the polling fallback). The thread exists only while tasks wait.
final class DurableChangeWaiter: @unchecked Sendable {
    /// The longest a waiter sleeps without a wake-up before re-checking.
    static let pollInterval = 0.25

    private let source: WatermarkSource
    /// The watermark file, once there is one.
    private var watermark: DurableWatermark? { source.current }
    private let lock = ConditionLock()
    /// Waiting tasks, with the wake word each saw before it decided to wait.
    private var waiters: [(seen: UInt32, continuation: CheckedContinuation<Void, Never>)] = []
    private var running = false

    init(source: WatermarkSource) {
        self.source = source
    }

    /// The current wake word; read it before checking for new events, then pass it to ``wait(seen:)``.
    var wakeWord: UInt32 { watermark?.wakeWord ?? 0 }

    /// Returns once the wake word differs from `seen` (at once if it already does), or after the poll interval.
    func wait(seen: UInt32) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if let watermark, watermark.wakeWord != seen {
                lock.unlock()
                continuation.resume()
                return
            }
            waiters.append((seen, continuation))
            let start = !running
            running = true
            lock.unlock()
            if start { startThread() }
        }
    }

    private func startThread() {
        let thread = Thread { [self] in
            nameCurrentThread("annals.livewait")
            while true {
                // Waiters that saw an older word than the current one are due now: a change happened between their
                // check and this thread's sleep, and sleeping on the current word would miss it.
                lock.lock()
                let watermark = self.watermark
                let word = watermark?.wakeWord ?? 0
                let due = watermark == nil ? [] : waiters.filter { $0.seen != word }
                waiters.removeAll { watermark != nil && $0.seen != word }
                if waiters.isEmpty {
                    running = false
                    lock.unlock()
                    for waiter in due { waiter.continuation.resume() }
                    return
                }
                lock.unlock()
                for waiter in due { waiter.continuation.resume() }
                if let watermark {
                    watermark.waitForChange(from: word, timeout: Self.pollInterval)
                } else {
                    Thread.sleep(forTimeInterval: 0.05)
                }
                lock.lock()
                let woken = waiters
                waiters.removeAll()
                lock.unlock()
                for waiter in woken { waiter.continuation.resume() }
            }
        }
        thread.name = "annals.livewait"
        thread.start()
    }
}

extension EventStore {
    /// A number that changes whenever the durable offset rises, in any process. Read it before checking for new
    /// events, then pass it to ``waitForDurableChange(from:timeout:)``, so no wake-up is missed.
    public var durableWakeWord: UInt32 { durableChanges.wakeWord }

    /// Blocks the calling thread until the durable offset may have risen since `word` was read, or `timeout` seconds
    /// pass, or a signal interrupts the wait. For command-line loops; async code should use ``subscribe(_:filter:start:)``.
    public func waitForDurableChange(from word: UInt32, timeout: Double) {
        if let watermark {
            watermark.waitForChange(from: word, timeout: timeout)
        } else {
            Thread.sleep(forTimeInterval: min(timeout, 0.05))
        }
    }
}
