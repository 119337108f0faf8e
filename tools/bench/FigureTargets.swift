/// A baseline an engine figure is compared with: its name, its value in the figure's unit, and the ratio
/// (engine ÷ baseline) the engine must reach, or `nil` when the comparison is informational.
struct BaselineComparison: Sendable {
    /// The baseline's name as the table shows it, such as `raw LMDB batch 1000`.
    let name: String
    /// The baseline's value, in the figure's unit.
    let value: Double
    /// The smallest acceptable engine ÷ baseline ratio, or `nil` for an informational baseline.
    let minimumRatio: Double?
}

/// A target on a figure's own value, such as at least 1.5M events/s or at most 300 MB.
struct AbsoluteTarget: Sendable {
    /// Whether the value must be at least or at most ``limit``.
    enum Direction: Sendable {
        /// The value must be `>= limit`.
        case atLeast
        /// The value must be `<= limit`.
        case atMost
    }

    /// The direction of the bound.
    let direction: Direction
    /// The bound, in the figure's unit.
    let limit: Double
    /// The target as the table shows it, such as `>= 1.5M events/s`.
    let text: String

    /// Whether `value` meets the target.
    func isMet(by value: Double) -> Bool {
        switch direction {
        case .atLeast: value >= limit
        case .atMost: value <= limit
        }
    }
}

extension BenchReport {
    /// Records `value` once per baseline, each line passing when engine ÷ baseline reaches its minimum ratio
    /// (informational, `passed` null, when the baseline has none).
    func record(_ name: String, value: Double, unit: String, comparedWith baselines: [BaselineComparison]) {
        for baseline in baselines {
            let ratio = baseline.value != 0 ? value / baseline.value : nil
            let target = baseline.minimumRatio.map { ">= " + trimmedNumber($0) + "x " + baseline.name } ?? ""
            let passed = baseline.minimumRatio.map { minimum in ratio.map { $0 >= minimum } ?? false }
            record(
                BenchFigure(
                    name: name, value: value, unit: unit, baseline: baseline.name, baselineValue: baseline.value,
                    ratio: ratio, target: target, passed: passed))
        }
    }

    /// Records `value` against an absolute `target`: one line per (informational) baseline, or one line without a
    /// baseline when there is none.
    func record(
        _ name: String, value: Double, unit: String, target: AbsoluteTarget,
        informationalBaselines baselines: [BaselineComparison] = []
    ) {
        let passed = target.isMet(by: value)
        guard !baselines.isEmpty else {
            record(BenchFigure(name: name, value: value, unit: unit, target: target.text, passed: passed))
            return
        }
        for baseline in baselines {
            record(
                BenchFigure(
                    name: name, value: value, unit: unit, baseline: baseline.name, baselineValue: baseline.value,
                    target: target.text, passed: passed))
        }
    }
}

/// `value` without a trailing `.0`: `2`, `0.5`, `20`.
private func trimmedNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

extension BenchReport {
    /// Records the median of `samples` as `NAME.p50`, against `p50Target`, and their 99th percentile as
    /// `NAME.p99`, informational; each compared, for information, with the same percentile of `baseline`.
    func recordPercentiles(
        _ name: String, samples: LatencySamples, p50Target: AbsoluteTarget,
        baseline: (name: String, samples: LatencySamples)? = nil
    ) {
        for (suffix, percent) in [("p50", 50.0), ("p99", 99.0)] {
            let value = samples.percentile(percent)
            let comparison = baseline.map { ($0.name + " " + suffix, $0.samples.percentile(percent)) }
            record(
                BenchFigure(
                    name: name + "." + suffix, value: value, unit: "ms", baseline: comparison?.0,
                    baselineValue: comparison?.1, target: percent == 50 ? p50Target.text : "",
                    passed: percent == 50 ? p50Target.isMet(by: value) : nil))
        }
    }
}
