import Foundation

/// ISO 8601 times to and from milliseconds since 1970: the RFC 3339 forms, read strictly.
public enum ISO8601 {
    /// How a time finer than a millisecond becomes one.
    public enum FractionRounding: Sendable {
        /// To the nearest millisecond, half up: for an event's own timestamp.
        case nearest
        /// To the millisecond at or before the time: for an inclusive upper bound ("at or before").
        case down
        /// To the millisecond at or after the time: for a lower bound ("at or after") or an exclusive upper bound
        /// ("before"), so that no millisecond on the wrong side of the exact time is taken.
        case up
    }

    /// Milliseconds for a date-time such as `2026-11-25T10:00:00Z`, `2026-11-25T10:00:00.1234+01:00` (the fraction
    /// rounded to a millisecond as `rounding` says) or a date `2026-11-25` (midnight UTC); `nil` for anything else: a
    /// missing time zone, a time without seconds, a space for the `T`, trailing characters, a day that does not exist.
    public static func milliseconds(_ text: String, rounding: FractionRounding = .nearest) -> Int64? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.digits(4), scanner.take("-"), let month = scanner.digits(2), scanner.take("-"),
            let day = scanner.digits(2), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        let midnight = Int64(daysSince1970(year: year, month: month, day: day)) * 86_400_000
        if scanner.atEnd { return midnight }
        guard scanner.take("T") || scanner.take("t"), let hour = scanner.digits(2), scanner.take(":"),
            let minute = scanner.digits(2), scanner.take(":"), let second = scanner.digits(2),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var milliseconds = Int64((hour * 60 + minute) * 60 + second) * 1000
        if scanner.take(".") {
            guard let fraction = scanner.fractionInMilliseconds(rounding) else { return nil }
            milliseconds += fraction
        }
        if scanner.take("Z") || scanner.take("z") {
            // UTC.
        } else if let sign = scanner.sign(), let hours = scanner.digits(2), scanner.take(":"),
            let minutes = scanner.digits(2), hours < 24, minutes < 60
        {
            milliseconds -= Int64(sign * (hours * 60 + minutes)) * 60_000
        } else {
            return nil
        }
        guard scanner.atEnd else { return nil }
        return midnight + milliseconds
    }

    /// `2026-11-25T10:00:00.123Z` for a millisecond timestamp (proleptic Gregorian, as ``milliseconds(_:rounding:)``
    /// reads it).
    ///
    /// Written digit by digit for the years 0000–9999, which covers every event's timestamp: a tail, a table or an
    /// audit formats one per line, and Foundation's formatter took about 50 µs each. Other years (a query bound far
    /// out, a damaged record) go through Foundation.
    public static func string(milliseconds: Int64) -> String {
        let (days, time) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let (day, millisecondOfDay) = time < 0 ? (days - 1, time + 86_400_000) : (days, time)
        let (year, month, dayOfMonth) = civilDate(daysSince1970: day)
        guard (0...9999).contains(year) else {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var position = 0
            // `value` in `width` digits, then `separator`.
            func put(_ value: Int, _ width: Int, _ separator: Unicode.Scalar) {
                var rest = value
                for digit in (0..<width).reversed() {
                    buffer[position + digit] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                buffer[position + width] = UInt8(ascii: separator)
                position += width + 1
            }
            put(year, 4, "-")
            put(month, 2, "-")
            put(dayOfMonth, 2, "T")
            put(Int(millisecondOfDay / 3_600_000), 2, ":")
            put(Int(millisecondOfDay / 60_000 % 60), 2, ":")
            put(Int(millisecondOfDay / 1000 % 60), 2, ".")
            put(Int(millisecondOfDay % 1000), 3, "Z")
            return position
        }
    }

    /// The (proleptic Gregorian) year, month and day `days` after 1970-01-01: the inverse of `daysSince1970`.
    private static func civilDate(daysSince1970 days: Int64) -> (year: Int, month: Int, day: Int) {
        // Counted in years that start on March 1, so the leap day ends a year.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// Days in `month` of `year` (Gregorian).
    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to the given (proleptic Gregorian) date, negative before it.
    private static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        // Counted in years that start on March 1, so the leap day ends a year.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Reads ASCII bytes left to right.
    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position == bytes.count }

        /// Consumes `character` if it comes next.
        mutating func take(_ character: Character) -> Bool {
            guard position < bytes.count, bytes[position] == character.asciiValue else { return false }
            position += 1
            return true
        }

        /// Exactly `count` decimal digits, as a number.
        mutating func digits(_ count: Int) -> Int? {
            guard position + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[position..<position + count] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            position += count
            return value
        }

        /// `+1` or `-1` for a time zone offset's sign.
        mutating func sign() -> Int? {
            if take("+") { return 1 }
            if take("-") { return -1 }
            return nil
        }

        /// One or more digits of a second's fraction, in whole milliseconds rounded as `rounding` says.
        mutating func fractionInMilliseconds(_ rounding: FractionRounding) -> Int64? {
            let start = position
            var milliseconds: Int64 = 0
            var firstFinerDigit: UInt8 = 0
            var finerIsZero = true
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) {
                let digit = bytes[position] - 0x30
                switch position - start {
                case 0..<3: milliseconds = milliseconds * 10 + Int64(digit)
                case 3: firstFinerDigit = digit
                default: break
                }
                if position - start >= 3 && digit != 0 { finerIsZero = false }
                position += 1
            }
            let read = position - start
            guard read > 0 else { return nil }
            for _ in min(read, 3)..<3 { milliseconds *= 10 }
            switch rounding {
            case .nearest: return milliseconds + (firstFinerDigit >= 5 ? 1 : 0)
            case .down: return milliseconds
            case .up: return milliseconds + (finerIsZero ? 0 : 1)
            }
        }
    }
}
