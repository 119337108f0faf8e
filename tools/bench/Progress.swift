#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The moment the process first reported progress; progress lines show the seconds since.
private let runStart = ContinuousClock.now

/// Writes `message` to standard error as one line, prefixed with the seconds since the run started.
///
/// ```swift
/// progress("append.batch: engine, sequential client")   // [  12.3s] append.batch: engine, sequential client
/// ```
func progress(_ message: String) {
    let seconds = fixedPoint(elapsedSeconds(ContinuousClock.now - runStart), decimals: 1)
    let padding = String(repeating: " ", count: max(6 - seconds.count, 0))
    writeToStandardError("[\(padding)\(seconds)s] \(message)\n")
}

/// Writes `text` to standard error as it is, retrying on `EINTR` and giving up on other errors.
func writeToStandardError(_ text: String) {
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
        let count = bytes[written...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { return }
        written += count
    }
}

/// Runs `body` and returns its result with the wall-clock seconds it took.
func timed<R>(_ body: () throws -> R) rethrows -> (result: R, seconds: Double) {
    let start = ContinuousClock.now
    let result = try body()
    return (result, elapsedSeconds(ContinuousClock.now - start))
}

/// Runs the async `body` and returns its result with the wall-clock seconds it took.
func timed<R>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> R
) async rethrows -> (result: R, seconds: Double) {
    let start = ContinuousClock.now
    let result = try await body()
    return (result, elapsedSeconds(ContinuousClock.now - start))
}

/// `value` rounded to a whole number, for progress lines: `412345`.
func whole(_ value: Double) -> String {
    value.isFinite ? String(Int(value.rounded())) : String(value)
}

/// `value` with exactly `decimals` digits after the point: `fixedPoint(2.345, decimals: 2)` is `2.35`.
func fixedPoint(_ value: Double, decimals: Int) -> String {
    guard value.isFinite, abs(value) < 1e15 else { return String(value) }
    var scale = 1
    for _ in 0..<decimals { scale *= 10 }
    let units = Int((abs(value) * Double(scale)).rounded())
    let sign = value < 0 && units != 0 ? "-" : ""
    guard decimals > 0 else { return sign + String(units) }
    let fraction = String(units % scale)
    return sign + String(units / scale) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
}

/// Bytes as mebibytes, the unit the memory and size figures use.
func megabytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }
