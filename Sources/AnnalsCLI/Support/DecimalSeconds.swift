import ArgumentParser

/// A duration in seconds given on the command line: ASCII digits with at most one decimal point among or after them
/// (`5`, `0.25`, `600.`), and nothing else. Swift's `Double(_:)`, which ArgumentParser uses for `Double` options,
/// also takes a sign, exponents, hexadecimal floats, `inf` and `nan`: `--timeout +5`, `1e1` and `0x1p2` were read as
/// numbers. Here they exit 64 with the flag and the value named; the option's own check then says which durations
/// it takes.
struct DecimalSeconds: ExpressibleByArgument, Sendable, Equatable {
    /// The duration in seconds.
    var seconds: Double

    /// A duration given in code, such as an option's default.
    init(_ seconds: Double) { self.seconds = seconds }

    /// Reads `argument`, or fails (ArgumentParser then exits 64 naming the option and the value).
    init?(argument: String) {
        let bytes = Array(argument.utf8)
        let digits = bytes.filter { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
        let points = bytes.filter { $0 == UInt8(ascii: ".") }.count
        guard digits > 0, points <= 1, digits + points == bytes.count, let seconds = Double(argument) else {
            return nil
        }
        self.seconds = seconds
    }

    /// The default as help prints it: `(default: 5)`.
    var defaultValueDescription: String {
        seconds == seconds.rounded() && seconds < 1e15 ? String(Int64(seconds)) : String(seconds)
    }
}
