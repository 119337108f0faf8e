import Annals

/// `replay.audit`: ``EventStore/audit(_:)`` over a whole store holding the workload, the library call behind
/// `annals audit`: one pass that verifies the hash chain (decompression, CRC, SHA-256 per record) and aggregates
/// counts per actor and type and the failed actions.
///
/// The informational baseline is ``EventStore/verify(from:to:anchor:progress:)`` alone over the same store: the
/// difference is what the aggregation costs.
enum ReplayAuditBenchmarks {
    /// How many full audits are made; the fastest counts.
    static let passes = 3
    /// The least the audit must process, in events per second.
    static let minimumEventsPerSecond = 500_000.0

    /// Audits `store` ``passes`` times, verifies it as many times, and records the fastest audit.
    /// - Parameters:
    ///   - store: An open store holding exactly `expectedEvents` events.
    ///   - expectedEvents: The events every audit must count.
    ///   - report: Where the figure goes.
    /// - Throws: ``AnnalsError`` from the audit; ``BenchError`` when the report is wrong (a count differs, or the
    ///   chain is reported broken).
    static func run(_ store: EventStore, expectedEvents: Int, report: BenchReport) throws {
        progress("replay.audit: EventStore.audit() over \(expectedEvents) events, best of \(passes)")
        let audit = try best { () throws -> Double in
            let (result, seconds) = try timed { try store.audit() }
            guard result.events == UInt64(expectedEvents), result.verification.isIntact,
                result.verification.recordsChecked == UInt64(expectedEvents)
            else {
                throw BenchError(
                    call: "EventStore.audit", code: 0,
                    message: "counted \(result.events) events, checked \(result.verification.recordsChecked) "
                        + "records, \(result.verification.problems.count) problems; expected \(expectedEvents) intact")
            }
            progress(
                "  pass: \(whole(Double(expectedEvents) / seconds)) events/s (\(result.actors.count) actors, "
                    + "\(result.types.count) types, \(result.failures.count) failed actions)")
            return seconds
        }
        progress("replay.audit baseline: EventStore.verify() alone over the same store, best of \(passes)")
        let verify = try best { () throws -> Double in
            let (result, seconds) = try timed { try store.verify() }
            guard result.isIntact, result.recordsChecked == UInt64(expectedEvents) else {
                throw BenchError(
                    call: "EventStore.verify", code: 0,
                    message: "checked \(result.recordsChecked) records, \(result.problems.count) problems")
            }
            return seconds
        }
        progress("  \(whole(Double(expectedEvents) / verify)) events/s")
        report.record(
            "replay.audit", value: Double(expectedEvents) / audit, unit: "events/s",
            target: AbsoluteTarget(direction: .atLeast, limit: minimumEventsPerSecond, text: ">= 500k events/s"),
            informationalBaselines: [
                BaselineComparison(
                    name: "verify alone, same store", value: Double(expectedEvents) / verify, minimumRatio: nil)
            ])
    }

    /// The shortest of ``passes`` runs of `pass`, which returns the seconds it took.
    private static func best(_ pass: () throws -> Double) rethrows -> Double {
        var fastest = Double.infinity
        for _ in 0..<passes { fastest = min(fastest, try pass()) }
        return fastest
    }
}
