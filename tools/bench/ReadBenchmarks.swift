import Annals

/// `read.scan`: decode every event of a store (decompression, CRC check, envelope) through ``EventReader``,
/// compared, for information, with a raw LMDB cursor walk over the same events stored as plain JSON.
enum ReadBenchmarks {
    /// How many full passes each scan makes; the fastest counts (the first may still fault pages in).
    static let passes = 3
    /// The least the engine must decode, in events per second.
    static let minimumEventsPerSecond = 1_500_000.0

    /// Scans `store` ``passes`` times and records the fastest pass as `read.scan`.
    /// - Parameters:
    ///   - store: An open store holding exactly `expectedEvents` events.
    ///   - expectedEvents: The number of events every pass must decode.
    ///   - rawScan: The raw LMDB cursor scan, recorded as an informational baseline.
    ///   - report: Where the figure goes.
    /// - Throws: ``AnnalsError`` from the reader, or ``BenchError`` when a pass reads the wrong number of events.
    static func run(_ store: EventStore, expectedEvents: Int, rawScan: ScanRun, report: BenchReport) throws {
        progress("read.scan: engine, full decode of \(expectedEvents) events, best of \(passes)")
        let scan = try best(of: passes) {
            let run = try scanAll(store)
            progress("  pass: \(whole(run.eventsPerSecond)) events/s")
            guard run.events == expectedEvents else {
                throw BenchError(
                    call: "EventReader.next", code: 0, message: "read \(run.events) events, not \(expectedEvents)")
            }
            return run
        }
        report.record(
            "read.scan", value: scan.eventsPerSecond, unit: "events/s",
            target: AbsoluteTarget(direction: .atLeast, limit: minimumEventsPerSecond, text: ">= 1.5M events/s"),
            informationalBaselines: [
                BaselineComparison(
                    name: "raw LMDB cursor scan, no decode", value: rawScan.eventsPerSecond, minimumRatio: nil)
            ])
    }

    /// Reads every event of `store` once, oldest first, touching each event's metadata.
    static func scanAll(_ store: EventStore) throws -> ScanRun {
        let start = ContinuousClock.now
        var reader = store.events(EventQuery()).makeReader()
        var events = 0
        var bytes = 0
        while let event = try reader.next() {
            events += 1
            bytes += event.metadataJSON.count
        }
        return ScanRun(events: events, bytes: bytes, seconds: elapsedSeconds(ContinuousClock.now - start))
    }

    /// Runs `scan` `passes` times and returns the fastest run.
    static func best(of passes: Int, _ scan: () throws -> ScanRun) rethrows -> ScanRun {
        var fastest = try scan()
        for _ in 1..<max(passes, 1) {
            let run = try scan()
            if run.seconds < fastest.seconds { fastest = run }
        }
        return fastest
    }
}
