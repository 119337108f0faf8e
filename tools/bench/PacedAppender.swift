import Annals

/// Appends single events at a steady rate from the calling thread, noting when each append returned.
///
/// Event `i` is submitted at `start + i / rate` (or at once, if the previous append returned later than that), with
/// ``EventStore/appendAndWait(_:)``, which returns once the event's transaction is committed and, with `.sync`,
/// durable. The time taken right after it returns is the event's commit time for the latency figures.
///
/// ```swift
/// let run = try PacedAppender.append(events, to: store, perSecond: 1_000)
/// // run.offsets[i] was committed and durable at run.committedAt[i] (CLOCK_MONOTONIC, ns)
/// ```
enum PacedAppender {
    /// The outcome of one paced run, index for index with the events appended.
    struct Run: Sendable {
        /// Each event's offset, from its receipt.
        let offsets: [UInt64]
        /// When each append was submitted, on `CLOCK_MONOTONIC`, in nanoseconds.
        let submittedAt: [UInt64]
        /// When each append returned, on `CLOCK_MONOTONIC`, in nanoseconds.
        let committedAt: [UInt64]
        /// The rate actually achieved, from the first submission to the last return.
        let eventsPerSecond: Double
        /// How many events were submitted more than a millisecond late because an earlier append was slow.
        let lateSubmissions: Int

        /// How long each append took, from submission to its durable return, in milliseconds.
        var appendMilliseconds: LatencySamples {
            LatencySamples(milliseconds: zip(submittedAt, committedAt).map { Double($1 - $0) / 1e6 })
        }
    }

    /// Appends `events` one per transaction at `perSecond` events a second, blocking the calling thread.
    /// - Throws: The first ``AnnalsError`` an append fails with; ``BenchError`` when a receipt is missing.
    static func append(_ events: [NewEvent], to store: EventStore, perSecond: Double) throws -> Run {
        precondition(perSecond > 0, "the rate must be positive")
        let interval = 1e9 / perSecond
        var offsets: [UInt64] = []
        var submittedAt: [UInt64] = []
        var committedAt: [UInt64] = []
        offsets.reserveCapacity(events.count)
        submittedAt.reserveCapacity(events.count)
        committedAt.reserveCapacity(events.count)
        var late = 0
        let start = monotonicNanoseconds()
        for (index, event) in events.enumerated() {
            let due = start + UInt64((Double(index) * interval).rounded())
            let now = monotonicNanoseconds()
            if now > due + 1_000_000 { late += 1 }
            sleepUntilMonotonic(due)
            let submitted = monotonicNanoseconds()
            let receipts = try store.appendAndWait([event])
            let committed = monotonicNanoseconds()
            guard let receipt = receipts.first else {
                throw BenchError(call: "EventStore.appendAndWait", code: 0, message: "no receipt for a single event")
            }
            offsets.append(receipt.offset)
            submittedAt.append(submitted)
            committedAt.append(committed)
        }
        let seconds = Double((committedAt.last ?? start) - start) / 1e9
        return Run(
            offsets: offsets, submittedAt: submittedAt, committedAt: committedAt,
            eventsPerSecond: seconds > 0 ? Double(events.count) / seconds : 0, lateSubmissions: late)
    }
}
