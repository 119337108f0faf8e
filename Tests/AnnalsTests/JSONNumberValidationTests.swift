import Foundation
import Testing

@testable import Annals

/// A `.number` built by the caller is checked against the JSON grammar when appended: text that is no JSON number
/// (`nan`, or text that would add members) is refused, naming its field, and nothing is written.
@Suite struct JSONNumberValidationTests {
    @Test(arguments: ["0", "-0", "7", "-12", "1.5", "0.25", "1e9", "1E+9", "-2.5e-3", "123456789012345678901234567890"])
    func acceptsJSONNumbers(text: String) {
        #expect(JSONNumberGrammar.isValid(text), "\(text)")
    }

    @Test(arguments: [
        "", "-", "nan", "NaN", "inf", "-inf", "01", "1.", ".5", "+1", "1e", "1e+", "0x10", "1 ", " 1", "1,\"x\":2",
        "1}", "١",
    ])
    func refusesEverythingElse(text: String) {
        #expect(!JSONNumberGrammar.isValid(text), "\(text)")
    }

    @Test func anAppendWithAnInvalidNumberIsRefusedNamingItsField() async throws {
        try await withStore { store, _ in
            _ = try await store.append(NewEvent(type: "thing.created", targetId: "ok", metadata: ["thingType": "s"]))
            for (metadata, field) in [
                (["thingType": "s", "properties": ["temp": .number(String(Double.nan))]], "metadata.properties.temp"),
                (["thingType": "s", "scores": [1, .number("1,\"injected\":true")]], "metadata.scores[1]"),
            ] as [(JSONValue, String)] {
                await #expect {
                    _ = try await store.append(contentsOf: [
                        NewEvent(type: "note", targetId: "n"),
                        NewEvent(type: "thing.created", targetId: "probe", metadata: metadata),
                    ])
                } throws: { error in
                    guard case .invalidEvent(1, let named, let reason) = error as? AnnalsError else { return false }
                    return named == field && reason.contains("is not a JSON number")
                }
            }
            #expect(try store.head().offset == 1)
            #expect(try store.thing("probe") == nil)
            // Numbers built with the typed constructors are always valid; a double that is not finite is `null`.
            let receipt = try await store.append(
                NewEvent(type: "note", metadata: ["a": .integer(-3), "b": .double(2.5), "c": .double(.nan)]))
            #expect(try store.event(at: receipt.offset)?.metadata == ["a": -3, "b": 2.5, "c": nil])
        }
    }
}

/// Metadata the store's own parser would not read back because it nests too deep is refused at append, without
/// recursing past the limit (the rest is not written); the deepest accepted metadata reads back, also as an event line.
@Suite struct MetadataDepthTests {
    static func nested(_ depth: Int) -> JSONValue {
        var value: JSONValue = 1
        for _ in 0..<(depth - 1) { value = .array([value]) }
        return .object(["v": value])
    }

    @Test func metadataNestedPastTheParsersDepthIsRefused() async throws {
        try await withStore { store, _ in
            for depth in [128, 2_000] {
                await #expect {
                    _ = try await store.append(NewEvent(type: "deep", metadata: Self.nested(depth)))
                } throws: { error in
                    guard case .invalidEvent(0, "metadata", let reason) = error as? AnnalsError else { return false }
                    return reason == "nests arrays and objects deeper than 127 levels (itself included)"
                }
            }
            let deepest = Self.nested(127)
            let receipt = try await store.append(NewEvent(type: "deep", metadata: deepest))
            let event = try #require(try store.event(at: receipt.offset))
            #expect(event.metadata == deepest)
            var line: [UInt8] = []
            event.appendJSON(to: &line)
            #expect(try JSONParser.parse(line)["metadata"] == deepest)
        }
    }
}
