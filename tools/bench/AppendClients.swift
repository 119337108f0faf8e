import Annals
import Dispatch
import Foundation

/// The ways a benchmark client drives ``EventStore`` appends. Each returns the wall-clock seconds from the first
/// submission to the last durable receipt, and checks that every event got a receipt.
enum AppendClients {
    /// Appends `batches` one after another, awaiting each batch's durable receipts before sending the next.
    ///
    /// Every tenth of the batches it reports the rate over that tenth as a progress line, to show whether
    /// appends slow down as the log grows.
    /// - Throws: The first ``AnnalsError``, or ``BenchError`` when receipts go missing.
    static func sequential(
        _ batches: [[NewEvent]], to store: EventStore, isolation: isolated (any Actor)? = #isolation
    ) async throws -> Double {
        let start = ContinuousClock.now
        let tenth = max(batches.count / 10, 1)
        var intervalStart = start
        var intervalEvents = 0
        for (index, batch) in batches.enumerated() {
            let receipts = try await store.append(contentsOf: batch)
            guard receipts.count == batch.count else { throw missingReceipts(receipts.count, of: batch.count) }
            intervalEvents += batch.count
            if (index + 1) % tenth == 0 {
                let now = ContinuousClock.now
                let rate = Double(intervalEvents) / elapsedSeconds(now - intervalStart)
                progress("    batches up to \(index + 1): \(whole(rate)) events/s")
                intervalStart = now
                intervalEvents = 0
            }
        }
        return elapsedSeconds(ContinuousClock.now - start)
    }

    /// Appends `batches` in order with up to `depth` of them submitted and not yet committed, through the
    /// completion-handler API, so the writer can group-commit several batches in one transaction.
    ///
    /// Blocks the calling thread; completions run on the writer thread and only release a slot.
    /// - Throws: The first ``AnnalsError`` a batch failed with, or ``BenchError`` when receipts go missing.
    static func pipelined(_ batches: [[NewEvent]], to store: EventStore, depth: Int) throws -> Double {
        precondition(depth > 0, "the pipeline depth must be positive")
        let slots = DispatchSemaphore(value: depth)
        let failures = FirstFailure()
        let start = ContinuousClock.now
        for batch in batches {
            slots.wait()
            if failures.error != nil {
                slots.signal()
                break
            }
            let expected = batch.count
            store.append(batch) { result in
                switch result {
                case .success(let receipts) where receipts.count != expected:
                    failures.record(missingReceipts(receipts.count, of: expected))
                case .success: break
                case .failure(let error): failures.record(error)
                }
                slots.signal()
            }
        }
        for _ in 0..<depth { slots.wait() }
        let seconds = elapsedSeconds(ContinuousClock.now - start)
        // libdispatch traps when a semaphore is released below its initial value.
        for _ in 0..<depth { slots.signal() }
        if let error = failures.error { throw error }
        return seconds
    }

    /// Appends `events` from `appenders` concurrent tasks, each awaiting its own single-event durable append in a
    /// loop; task `i` appends events `i`, `i + appenders`, `i + 2 × appenders`, …
    ///
    /// - Throws: The first ``AnnalsError`` an append failed with.
    static func concurrent(
        _ events: [NewEvent], to store: EventStore, appenders: Int, isolation: isolated (any Actor)? = #isolation
    ) async throws -> Double {
        precondition(appenders > 0, "there must be at least one appender")
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    for index in stride(from: appender, to: events.count, by: appenders) {
                        _ = try await store.append(events[index])
                    }
                }
            }
            try await group.waitForAll()
        }
        return elapsedSeconds(ContinuousClock.now - start)
    }

    /// The error for an append that returned `received` receipts for `expected` events.
    private static func missingReceipts(_ received: Int, of expected: Int) -> BenchError {
        BenchError(
            call: "EventStore.append", code: 0, message: "\(received) receipts for a batch of \(expected) events")
    }
}

/// The first error reported from any thread; later ones are dropped.
private final class FirstFailure: @unchecked Sendable {
    /// Guards ``stored``.
    private let lock = NSLock()
    /// The first error, once one is recorded.
    private var stored: (any Error)?

    /// The first error recorded, or `nil`.
    var error: (any Error)? { lock.withLock { stored } }

    /// Keeps `error` unless an earlier one is already kept.
    func record(_ error: any Error) {
        lock.withLock { if stored == nil { stored = error } }
    }
}
