import CAnnalsSupport
import WasmKit

/// Why a running execution was stopped from outside.
enum InterruptReason: Sendable {
    case timeout
    case cancelled
}

/// Stops one running in-process execution from another thread.
///
/// WasmKit has no interrupt, but a fuel-metered engine charges the store's fuel counter at the start of every
/// block, loop iteration and function, reading it from memory each time. Interrupting sets that counter to zero,
/// so the guest traps with "out of fuel" at its next charge; the recorded reason turns that into `timeout` or
/// `cancelled`. The write races with the interpreter's own read-modify-write of the counter (it can be lost), so
/// the watchdog repeats it every millisecond until the execution ends.
final class ExecutionInterrupter: @unchecked Sendable {
    private let lock = ConditionLock()
    private let store: Store
    private var reason: InterruptReason?
    private var finished = false
    /// The fuel remaining when the interruption was first made, for the usage report.
    private var remainingAtInterrupt: UInt64?

    init(store: Store) { self.store = store }

    /// Why the execution was interrupted, if it was.
    var interruption: InterruptReason? { lock.withLock { reason } }
    /// The fuel remaining when first interrupted.
    var fuelRemainingAtInterrupt: UInt64? { lock.withLock { remainingAtInterrupt } }

    /// Interrupts (again) unless the execution has finished; the first reason sticks.
    func interrupt(_ newReason: InterruptReason) {
        lock.withLock {
            guard !finished else { return }
            if reason == nil {
                reason = newReason
                remainingAtInterrupt = store.fuel?.remaining
            }
            store.fuel = Fuel(remaining: 0)
        }
    }

    /// Marks the execution finished: no interruption touches the store after this returns.
    func finish() { lock.withLock { finished = true } }
}

/// The one thread that enforces deadlines of in-process executions; idle (blocked) when none is running.
final class Watchdog: @unchecked Sendable {
    /// The shared watchdog.
    static let shared = Watchdog()

    private struct Entry {
        var deadline: UInt64
        let interrupter: ExecutionInterrupter
    }

    private let lock = ConditionLock()
    private var entries: [UInt64: Entry] = [:]
    private var nextID: UInt64 = 0
    /// The deadline the thread sleeps until, to know whether a new entry must wake it.
    private var sleepingUntil: UInt64? = nil
    private var started = false

    /// Watches `interrupter` until ``remove(_:)``: interrupts it with `.timeout` at `deadline`.
    func add(_ interrupter: ExecutionInterrupter, deadline: UInt64) -> UInt64 {
        lock.withLock {
            if !started {
                started = true
                startThread { [self] in run() }
            }
            nextID += 1
            entries[nextID] = Entry(deadline: deadline, interrupter: interrupter)
            if sleepingUntil.map({ deadline < $0 }) ?? true { lock.signal() }
            return nextID
        }
    }

    /// Makes the entry's deadline now, so its interruption is repeated until it is removed.
    func expire(_ id: UInt64) {
        lock.withLock {
            entries[id]?.deadline = 0
            lock.signal()
        }
    }

    /// Stops watching.
    func remove(_ id: UInt64) {
        lock.withLock { _ = entries.removeValue(forKey: id) }
    }

    private func run() {
        annals_name_current_thread("annals.watchdog")
        lock.withLock {
            while true {
                let now = monotonicNow()
                var next: UInt64? = nil
                for entry in entries.values {
                    if entry.deadline <= now {
                        entry.interrupter.interrupt(.timeout)
                        // Repeated until removed: one write of zero can be lost to the interpreter's own update.
                        next = min(next ?? .max, now + 1_000_000)
                    } else {
                        next = min(next ?? .max, entry.deadline)
                    }
                }
                sleepingUntil = next
                lock.wait(until: next)
            }
        }
    }
}
