#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One measured figure, with the baseline it is compared against and the target it must meet.
struct BenchFigure: Sendable {
    /// What was measured, such as `append.batch1000`.
    let name: String
    /// The measured value, in `unit`.
    let value: Double
    /// The unit: `events/s`, `ms`, `ratio`, `MB`, …
    let unit: String
    /// The name of the baseline compared against, such as `raw LMDB batch 1000`, or `nil`.
    let baseline: String?
    /// The baseline's value, in the same unit, or `nil`.
    let baselineValue: Double?
    /// `value / baselineValue`, or `nil` without a baseline.
    let ratio: Double?
    /// The target in words, such as `>= 0.5x raw LMDB`; empty when there is none.
    let target: String
    /// Whether the target was met, or `nil` when the figure is informational.
    let passed: Bool?

    /// Creates a figure; `ratio` defaults to `value / baselineValue` when a non-zero baseline value is given.
    init(
        name: String, value: Double, unit: String, baseline: String? = nil, baselineValue: Double? = nil,
        ratio: Double? = nil, target: String = "", passed: Bool? = nil
    ) {
        self.name = name
        self.value = value
        self.unit = unit
        self.baseline = baseline
        self.baselineValue = baselineValue
        self.ratio = ratio ?? baselineValue.flatMap { $0 != 0 ? value / $0 : nil }
        self.target = target
        self.passed = passed
    }

    /// The figure as one compact JSON object: name, value, unit, baseline, baselineValue, ratio, target, passed.
    var jsonLine: String {
        "{\"name\":\(jsonString(name)),\"value\":\(jsonNumber(value)),\"unit\":\(jsonString(unit)),"
            + "\"baseline\":\(baseline.map(jsonString) ?? "null"),"
            + "\"baselineValue\":\(baselineValue.map(jsonNumber) ?? "null"),"
            + "\"ratio\":\(ratio.map(jsonNumber) ?? "null"),\"target\":\(jsonString(target)),"
            + "\"passed\":\(passed.map { $0 ? "true" : "false" } ?? "null")}"
    }
}

/// Collects benchmark figures: appends each to a JSON Lines file as it is recorded, and prints them as a table.
///
/// The file is truncated when the report is created and written line by line, so figures recorded before a crash
/// survive it.
/// ```swift
/// let report = BenchReport()
/// report.record(BenchFigure(name: "append.batch1000", value: 410_000, unit: "events/s",
///                           baseline: "raw LMDB", baselineValue: 520_000, target: ">= 0.5x raw LMDB", passed: true))
/// report.printTable()
/// ```
final class BenchReport {
    /// The JSON Lines file the figures go to.
    let path: String
    /// The figures recorded so far, in order.
    private(set) var figures: [BenchFigure] = []
    /// The results file's descriptor, or -1 if it could not be opened.
    private let fd: Int32

    /// Creates (or truncates) the results file at `path`; if it cannot be opened, figures are only printed.
    init(path: String = "bench-results.jsonl") {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { printError("bench: cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    /// Closes the results file.
    deinit { if fd >= 0 { close(fd) } }

    /// Remembers `figure` for ``printTable()`` and appends it to the file as one JSON line.
    func record(_ figure: BenchFigure) {
        figures.append(figure)
        guard fd >= 0 else { return }
        let line = Array((figure.jsonLine + "\n").utf8)
        var written = 0
        while written < line.count {
            let count = line[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                printError("bench: cannot write \(path): \(String(cString: strerror(errno)))")
                return
            }
            written += count
        }
    }

    /// Prints the recorded figures as an aligned table: name, value, unit, baseline, ratio, target, result.
    func printTable() {
        let header = ["name", "value", "unit", "baseline", "ratio", "target", "result"]
        let rows = figures.map { figure in
            [
                figure.name, humanNumber(figure.value), figure.unit,
                figure.baseline.map { name in
                    figure.baselineValue.map { "\(name) (\(humanNumber($0)))" } ?? name
                } ?? "-",
                figure.ratio.map { fixed($0, decimals: 2) + "x" } ?? "-", figure.target.isEmpty ? "-" : figure.target,
                figure.passed.map { $0 ? "pass" : "FAIL" } ?? "-",
            ]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        let rightAligned: Set = [1, 4]
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }.joined(separator: "  ")
        }
        print(line(header))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for row in rows { print(line(row)) }
    }
}

/// Writes `message` and a newline to standard error.
private func printError(_ message: String) {
    let bytes = Array((message + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// `value` as a JSON number with sensible precision, or `null` if it is not finite.
private func jsonNumber(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    let magnitude = abs(value)
    let scale: Double = magnitude >= 1_000 ? 10 : magnitude >= 1 ? 1_000 : 1_000_000
    let rounded = (value * scale).rounded() / scale
    if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int(rounded)) }
    return String(rounded)
}

/// `value` for people: digit groups from 1,000, one decimal below that, two below 100, four below 1.
private func humanNumber(_ value: Double) -> String {
    guard value.isFinite else { return String(value) }
    let magnitude = abs(value)
    if magnitude < 1 { return fixed(value, decimals: 4) }
    if magnitude < 100 { return fixed(value, decimals: 2) }
    if magnitude < 1_000 { return fixed(value, decimals: 1) }
    guard magnitude < 1e15 else { return String(value) }
    let digits = Array(String(Int(magnitude.rounded())))
    var grouped = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { grouped += "," }
        grouped.append(digit)
    }
    return (value < 0 ? "-" : "") + grouped
}

/// `value` with exactly `decimals` digits after the point (for moderate magnitudes).
private func fixed(_ value: Double, decimals: Int) -> String {
    guard value.isFinite, abs(value) < 1e15 else { return String(value) }
    var scale = 1
    for _ in 0..<decimals { scale *= 10 }
    let units = Int((abs(value) * Double(scale)).rounded())
    let fraction = String(units % scale)
    let sign = value < 0 && units != 0 ? "-" : ""
    guard decimals > 0 else { return sign + String(units) }
    return sign + String(units / scale) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
}

/// `text` as a JSON string literal, with quotes, backslashes and control characters escaped.
private func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let digits = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
