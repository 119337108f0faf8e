import Foundation
import Testing

@testable import Annals

/// Merge patches applied to canonical bytes give exactly the bytes of parse, merge and re-serialize.
@Suite struct CanonicalMergePatchTests {
    private static let keys = ["a", "b", "zeta", "é", "quo\"te", "tab\t", "n", "10", "A", "ab", ""]
    /// Keys without characters that JSON escapes, as canonical patches have them.
    private static let plainKeys = ["a", "b", "zeta", "é", "n", "10", "A", "ab", ""]

    private static func randomValue(
        _ random: inout SeededGenerator, depth: Int, keys: [String] = CanonicalMergePatchTests.keys
    ) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .integer(Int.random(in: -50...50, using: &random))
        case 3: return .string(keys.randomElement(using: &random)! + "\\ \u{1}")
        case 4: return .number("1.50e3")
        case 5:
            return .array(
                (0..<Int.random(in: 0...3, using: &random)).map { _ in
                    randomValue(&random, depth: depth + 1, keys: keys)
                })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                members[keys.randomElement(using: &random)!] = randomValue(&random, depth: depth + 1, keys: keys)
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

    @Test func canonicalPatchBytesGiveTheSameBytesAsTheParsedPatch() throws {
        var random = SeededGenerator(state: 7)
        var merged = 0
        while merged < 1000 {
            let stored = Self.randomValue(&random, depth: 0)
            guard case .object = stored else { continue }
            let patch = Self.randomValue(&random, depth: 0, keys: Self.plainKeys)
            let patchBytes = patch.canonicalBytes
            guard case .object = patch else { continue }
            #expect(CanonicalJSON.isCanonical(patchBytes))
            let expected = stored.merging(patch: patch).canonicalBytes
            let actual = patchBytes.withUnsafeBytes { patch in
                stored.canonicalBytes.withUnsafeBytes { CanonicalMergePatch.apply(canonicalPatch: patch, toObject: $0) }
            }
            #expect(actual == expected, "\(stored.canonicalString) + \(patch.canonicalString)")
            if actual != expected { return }
            merged += 1
        }
    }

    @Test func canonicalPatchBytesRefuseAStoredValueThatIsNotAnObject() {
        for stored in [#"[1]"#, #"{"a":1"#, #"{"a"}"#, #"{"a":1,}"#, #"3"#, #""#] {
            let result = Array(#"{"a":2}"#.utf8).withUnsafeBytes { patch in
                Array(stored.utf8).withUnsafeBytes { CanonicalMergePatch.apply(canonicalPatch: patch, toObject: $0) }
            }
            #expect(result == nil, "\(stored)")
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
            guard stored.hasPrefix("{") else { continue }
            let fromBytes = Array(patch.utf8).withUnsafeBytes { patch in
                Array(stored.utf8).withUnsafeBytes { CanonicalMergePatch.apply(canonicalPatch: patch, toObject: $0) }
            }
            #expect(fromBytes.map { String(decoding: $0, as: UTF8.self) } == expected)
        }
    }
}
