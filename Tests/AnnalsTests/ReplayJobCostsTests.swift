import Testing

@testable import Annals

/// A replay starts each chunk's jobs longest first, by what each kind of job has cost per event so far.
@Suite struct ReplayJobCostsTests {
    @Test func beforeAnythingIsMeasuredJobsGoByEventCount() {
        let costs = ReplayJobCosts(projections: 3)
        let ordered = costs.longestFirst([
            (.apply(0), 100), (.apply(1), 7_000), (.read(after: 0, limit: 8_192), 8_192), (.apply(2), 900),
        ])
        #expect(ordered.map(\.job) == [.read(after: 0, limit: 8_192), .apply(1), .apply(2), .apply(0)])
    }

    @Test func measuredCostsPerEventDecide() {
        var costs = ReplayJobCosts(projections: 3)
        // Projection 0 is cheap per event, projection 2 forty times as dear; reading in between.
        costs.record(.apply(0), events: 7_000, seconds: 0.007)
        costs.record(.apply(2), events: 200, seconds: 0.008)
        costs.record(.read(after: 0, limit: 8_192), events: 8_192, seconds: 0.012)
        let ordered = costs.longestFirst([
            (.apply(0), 7_000), (.apply(2), 200), (.read(after: 8_192, limit: 8_192), 8_192), (.apply(1), 1_000),
        ])
        // Projection 1 was never measured: it is priced at the average per event of the others (14 µs).
        #expect(ordered.map(\.job) == [.apply(1), .read(after: 8_192, limit: 8_192), .apply(2), .apply(0)])
        let measuredOnly = costs.longestFirst([(.apply(0), 7_000), (.apply(2), 200), (.apply(0), 1)])
        #expect(measuredOnly.map(\.job) == [.apply(2), .apply(0), .apply(0)])
    }

    @Test func estimatesFollowTheCostAsItChanges() {
        var costs = ReplayJobCosts(projections: 2)
        costs.record(.apply(0), events: 1_000, seconds: 0.001)
        costs.record(.apply(1), events: 1_000, seconds: 0.002)
        #expect(costs.longestFirst([(.apply(0), 1_000), (.apply(1), 1_000)]).map(\.job) == [.apply(1), .apply(0)])
        for _ in 0..<10 { costs.record(.apply(0), events: 1_000, seconds: 0.005) }
        #expect(costs.longestFirst([(.apply(0), 1_000), (.apply(1), 1_000)]).map(\.job) == [.apply(0), .apply(1)])
    }
}
