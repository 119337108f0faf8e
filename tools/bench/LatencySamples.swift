#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Now on `CLOCK_MONOTONIC`, in nanoseconds: the clock every latency sample is taken with, in any thread.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Sleeps the calling thread until `CLOCK_MONOTONIC` reads `deadline` (nanoseconds); returns at once if it has
/// passed. The corresponding C function is `clock_nanosleep` with `TIMER_ABSTIME`.
func sleepUntilMonotonic(_ deadline: UInt64) {
    var target = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
}

/// Latency samples in milliseconds and their nearest-rank percentiles.
///
/// ```swift
/// let samples = LatencySamples(milliseconds: [0.4, 0.6, 3.1])
/// samples.percentile(50)   // 0.6
/// ```
struct LatencySamples: Sendable {
    /// The samples, ascending.
    let sorted: [Double]

    /// Sorts `milliseconds`.
    init(milliseconds: [Double]) {
        sorted = milliseconds.sorted()
    }

    /// The nearest-rank `percent` percentile (the smallest sample at or above that share of all samples), or NaN
    /// without samples.
    func percentile(_ percent: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// A progress line summary: `p50 0.412 ms, p90 …, p99 …, p99.9 …, max …`.
    var summary: String {
        let points: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9), ("max", 100)]
        return points.map { "\($0.0) \(fixedPoint(percentile($0.1), decimals: 3))" }.joined(separator: ", ") + " ms"
    }
}
