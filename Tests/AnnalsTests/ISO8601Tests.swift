import Foundation
import Testing

@testable import Annals

/// ISO 8601 times read strictly: the RFC 3339 date-time and a bare date, nothing that only starts like one.
@Suite struct ISO8601Tests {
    @Test(
        arguments: [
            ("2026-11-25", 1_795_564_800_000),
            ("2026-11-25T10:00:00Z", 1_795_600_800_000),
            ("2026-11-25t10:00:00z", 1_795_600_800_000),
            ("2026-11-25T10:00:00.250Z", 1_795_600_800_250),
            ("2026-11-25T10:00:00.5Z", 1_795_600_800_500),
            ("2026-11-25T10:00:00.9996Z", 1_795_600_801_000),
            ("2026-11-25T10:00:00.0004999Z", 1_795_600_800_000),
            ("2026-11-25T10:00:00.0005Z", 1_795_600_800_001),
            ("2026-11-25T11:30:00+01:30", 1_795_600_800_000),
            ("2026-11-25T08:00:00-02:00", 1_795_600_800_000),
            ("1970-01-01T00:00:00Z", 0),
            ("2024-02-29T00:00:00Z", 1_709_164_800_000),
            ("2000-03-01", 951_868_800_000),
            ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
        ] as [(String, Int64)])
    func readsTheRFC3339Forms(text: String, milliseconds: Int64) {
        #expect(ISO8601.milliseconds(text) == milliseconds, "\(text)")
        // Foundation agrees where it reads the form.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text), !text.contains(".") {
            #expect(Int64(date.timeIntervalSince1970 * 1000) == milliseconds)
        }
    }

    @Test(
        arguments: [
            ("2026-11-25T10:00:00.9996Z", 1_795_600_800_999, 1_795_600_801_000),
            ("2026-11-25T10:00:00.0001Z", 1_795_600_800_000, 1_795_600_800_001),
            ("2026-11-25T10:00:00.0000001Z", 1_795_600_800_000, 1_795_600_800_001),
            ("2026-11-25T10:00:00.123000000Z", 1_795_600_800_123, 1_795_600_800_123),
            ("2026-11-25T10:00:00.5Z", 1_795_600_800_500, 1_795_600_800_500),
            ("2026-11-25T10:00:00Z", 1_795_600_800_000, 1_795_600_800_000),
            ("1969-12-31T23:59:59.9999Z", -1, 0),
        ] as [(String, Int64, Int64)])
    func roundsAFinerFractionDownOrUpForBounds(text: String, down: Int64, up: Int64) {
        #expect(ISO8601.milliseconds(text, rounding: .down) == down, "\(text)")
        #expect(ISO8601.milliseconds(text, rounding: .up) == up, "\(text)")
    }

    @Test(arguments: [
        "2026-11-25T10:00:00", "2026-11-25T10:00Z", "2026-11-25 10:00:00Z", "2026-11-25T10:00:00.5",
        "2026-11-25garbage", "2026-11-25T10:00:00Zjunk", "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10",
        "2026-11-25T24:00:00Z", "2026-11-25T10:60:00Z", "2026-11-25T10:00:60Z", "2026-11-25T10:00:00.Z",
        "2026-11-25T10:00:00+0100", "2026-11-25T10:00:00+25:00", "99999-01-01T00:00:00Z", "26-11-25", "",
        "2026-1-25", "２０２６-11-25",
    ])
    func refusesEverythingElse(text: String) {
        #expect(ISO8601.milliseconds(text) == nil, "\(text)")
    }

    @Test func timestampsEndAtTheLastFourDigitYear() throws {
        let last = NewEvent(type: "a", timestamp: EventValidation.maximumTimestamp)
        try EventValidation.validate(last, index: 0)
        #expect(throws: AnnalsError.self) {
            try EventValidation.validate(NewEvent(type: "a", timestamp: EventValidation.maximumTimestamp + 1), index: 0)
        }
        #expect(throws: EventDecodingError.self) {
            _ = try NewEvent(json: try JSONParser.parse(Array(#"{"type":"a","timestamp":9223372036854775807}"#.utf8)))
        }
        #expect(throws: EventDecodingError.self) {
            _ = try NewEvent(json: try JSONParser.parse(Array(#"{"type":"a","timestamp":"2026-11-25T10:00:00"}"#.utf8)))
        }
    }

    /// What the engine wrote before it formatted timestamps itself.
    private func foundationString(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    @Test func formatsAsFoundationDidAndReadsBackToTheSameMillisecond() {
        var random = SeededGenerator(state: 8_601)
        let edges: [Int64] = [
            0, 1, 999, 1_000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 1_764_064_800_123,
            4_107_542_400_000, EventValidation.maximumTimestamp,
        ]
        let drawn = (0..<20_000).map { _ in Int64.random(in: 0...EventValidation.maximumTimestamp, using: &random) }
        for milliseconds in edges + drawn {
            let text = ISO8601.string(milliseconds: milliseconds)
            #expect(text == foundationString(milliseconds), "\(milliseconds)")
            #expect(ISO8601.milliseconds(text) == milliseconds, "\(text)")
        }
        #expect(ISO8601.string(milliseconds: 1_764_064_800_123) == "2025-11-25T10:00:00.123Z")
        #expect(ISO8601.string(milliseconds: EventValidation.maximumTimestamp) == "9999-12-31T23:59:59.999Z")
        // Before 1970 and back to year 0, proleptic Gregorian as the parser reads it.
        for milliseconds: Int64 in [-1, -86_400_000, -62_135_596_800_000, -62_167_219_200_000] {
            #expect(ISO8601.milliseconds(ISO8601.string(milliseconds: milliseconds)) == milliseconds, "\(milliseconds)")
        }
        #expect(ISO8601.string(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(ISO8601.string(milliseconds: -62_167_219_200_000) == "0000-01-01T00:00:00.000Z")
        // Outside four-digit years: Foundation's form.
        for milliseconds: Int64 in [EventValidation.maximumTimestamp + 1, .max, -62_167_219_200_001] {
            #expect(ISO8601.string(milliseconds: milliseconds) == foundationString(milliseconds))
        }
    }
}
