import Annals

/// `subscribe.catchup`: an in-process ``Subscription`` (no filter, from the beginning) draining a store that
/// already holds the whole workload, until it has delivered every event.
///
/// The informational baseline is the plain ``EventReader`` scan of `read.scan` over the same store in the same
/// run: the subscription reads through the same reader in chunks of 512 events, each in its own short read
/// transaction, and adds the async iteration on top.
enum SubscribeCatchupBenchmarks {
    /// How many full drains are made; the fastest counts, as for `read.scan`.
    static let passes = 3
    /// The least the subscription must deliver, in events per second.
    static let minimumEventsPerSecond = 1_000_000.0

    /// Drains `store` ``passes`` times through a new anonymous subscription each time, scans it as many times with
    /// the plain reader, and records the fastest drain.
    /// - Parameters:
    ///   - store: An open store holding exactly `expectedEvents` durable events.
    ///   - expectedEvents: The events every pass must deliver.
    ///   - report: Where the figure goes.
    /// - Throws: ``AnnalsError`` from the subscription or reader; ``BenchError`` when a pass delivers too few.
    static func run(
        _ store: EventStore, expectedEvents: Int, report: BenchReport, isolation: isolated (any Actor)? = #isolation
    ) async throws {
        progress(
            "subscribe.catchup: in-process Subscription from the beginning, \(expectedEvents) events, best of \(passes)"
        )
        var fastest: ScanRun?
        for _ in 0..<passes {
            let run = try await drain(store, expectedEvents: expectedEvents)
            progress("  pass: \(whole(run.eventsPerSecond)) events/s")
            if fastest == nil || run.seconds < fastest!.seconds { fastest = run }
        }
        progress("subscribe.catchup baseline: EventReader scan of the same store, best of \(ReadBenchmarks.passes)")
        let scan = try ReadBenchmarks.best(of: ReadBenchmarks.passes) { try ReadBenchmarks.scanAll(store) }
        progress("  \(whole(scan.eventsPerSecond)) events/s")
        report.record(
            "subscribe.catchup", value: fastest!.eventsPerSecond, unit: "events/s",
            target: AbsoluteTarget(direction: .atLeast, limit: minimumEventsPerSecond, text: ">= 1M events/s"),
            informationalBaselines: [
                BaselineComparison(
                    name: "EventReader scan, same store", value: scan.eventsPerSecond, minimumRatio: nil)
            ])
    }

    /// Iterates a new subscription until it has delivered `expectedEvents` events, touching each one's metadata.
    /// - Throws: ``BenchError`` if the events arrive out of order.
    static func drain(
        _ store: EventStore, expectedEvents: Int, isolation: isolated (any Actor)? = #isolation
    ) async throws -> ScanRun {
        let start = ContinuousClock.now
        let subscription = try store.subscribe(filter: EventFilter(), start: .beginning)
        var events = 0
        var bytes = 0
        for try await event in subscription {
            events += 1
            bytes += event.metadataJSON.count
            guard event.offset == UInt64(events) else {
                throw BenchError(
                    call: "Subscription.next", code: 0, message: "delivered offset \(event.offset) as event \(events)")
            }
            if events == expectedEvents { break }
        }
        return ScanRun(events: events, bytes: bytes, seconds: elapsedSeconds(ContinuousClock.now - start))
    }
}
