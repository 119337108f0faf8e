import Foundation
import Testing

@testable import Annals

/// Merge patches applied to canonical bytes give exactly the bytes of parse, merge and re-serialize.
@Suite struct CanonicalMergePatchTests {
    private static func randomValue(_ random: inout SeededGenerator, depth: Int) -> JSONValue {
        let keys = ["a", "b", "zeta", "é", "quo\"te", "tab\t", "n", "10", "A", "ab", ""]
        switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .integer(Int.random(in: -50...50, using: &random))
        case 3: return .string(keys.randomElement(using: &random)! + "\\ \u{1}")
        case 4: return .number("1.50e3")
        case 5:
            return .array(
                (0..<Int.random(in: 0...3, using: &random)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                members[keys.randomElement(using: &random)!] = randomValue(&random, depth: depth + 1)
            }
            return .object(members)
        }
    }

    @Test func matchesParseMergeSerializeOnRandomDocuments() throws {
        var random = SeededGenerator(state: 99)
        for _ in 0..<3000 {
            let stored = Self.randomValue(&random, depth: 0)
            let patch = Self.randomValue(&random, depth: 0)
            let expected = stored.merging(patch: patch).canonicalBytes
            let actual = CanonicalMergePatch.apply(patch, to: stored.canonicalBytes)
            #expect(actual == expected, "\(stored.canonicalString) + \(patch.canonicalString)")
            if actual != expected { return }
        }
    }

    @Test func examplesFromRFC7396() throws {
        let cases: [(String, String, String)] = [
            (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
            (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
            (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
            (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
            (#"{"e":null}"#, #"{"a":1}"#, #"{"a":1,"e":null}"#),
            (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
            (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
        ]
        for (stored, patch, expected) in cases {
            let result = CanonicalMergePatch.apply(try JSONParser.parse(patch), to: Array(stored.utf8))
            #expect(String(decoding: result, as: UTF8.self) == expected)
        }
    }
}
