import Foundation
import Testing

@testable import Annals

/// The canonical-form check accepts what the canonical writer writes, and nothing the strict parser refuses.
@Suite struct CanonicalJSONTests {
    private static func randomValue(_ random: inout SeededGenerator, depth: Int) -> JSONValue {
        let words = ["a", "b", "zeta", "é", "日本", "x y", "10", "A", "ab", "", "𝄞"]
        switch Int.random(in: 0..<(depth > 2 ? 6 : 8), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .integer(Int.random(in: -5000...5000, using: &random))
        case 3:
            return .number(
                ["0", "-0.5", "1.50e3", "2E-7", "123456789012345678901234567890"].randomElement(using: &random)!)
        case 4: return .string(words.randomElement(using: &random)!)
        case 5: return .string("line\nbreak \"quoted\" back\\slash tab\t bell\u{7} del\u{7F}")
        case 6:
            return .array(
                (0..<Int.random(in: 0...3, using: &random)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                members[words.randomElement(using: &random)!] = randomValue(&random, depth: depth + 1)
            }
            return .object(members)
        }
    }

    @Test func writesObjectKeysInNormalizationFormC() throws {
        // "é" decomposed, "Å" as the Ångström sign and "ﬁ" (a compatibility ligature, which NFC keeps).
        let value: JSONValue = ["e\u{301}": ["\u{212b}": 1], "z": 2, "\u{fb01}": 3, "a": 4]
        let text = String(decoding: value.canonicalBytes, as: UTF8.self)
        #expect(text == "{\"a\":4,\"z\":2,\"\u{e9}\":{\"\u{c5}\":1},\"\u{fb01}\":3}")
        #expect(CanonicalJSON.isCanonical(value.canonicalBytes))
        #expect(try JSONParser.parse(value.canonicalBytes) == value)
    }

    @Test func findsKeysThatAreNotInNormalizationFormCAndIgnoresValues() {
        let cases: [(String, Bool)] = [
            (#"{"a":1}"#, true),
            ("{\"caf\u{e9}\":\"cafe\u{301}\"}", true),  // an NFD value is not a key
            ("[\"cafe\u{301}\",{\"x\":\"\u{4e2d}\u{6587}\"}]", true),
            ("{\"o\":{\"cafe\u{301}\":1}}", false),
            (#"{"q\":\"x":"\\","# + "\"e\u{301}\":2}", false),  // escapes before the key are skipped over
            (#"{"q\"x":"\\"}"#, true),
        ]
        for (text, expected) in cases {
            let result = Array(text.utf8).withUnsafeBytes { CanonicalJSON.hasNFCKeys($0) }
            #expect(result == expected, "\(text)")
        }
    }

    @Test func acceptsWhatTheCanonicalWriterWrites() throws {
        var random = SeededGenerator(state: 42)
        for _ in 0..<2000 {
            let value = Self.randomValue(&random, depth: 0)
            let bytes = value.canonicalBytes
            #expect(CanonicalJSON.isCanonical(bytes), "\(value.canonicalString)")
            #expect(try JSONParser.parse(bytes) == value)
        }
    }

    @Test func refusesTextsThatAreNotCanonicalOrNotJSON() {
        let refused = [
            #"{"b":1,"a":2}"#, #"{"a":1,"a":2}"#, #"{ "a":1}"#, #"[1, 2]"#, #" 1"#, #"1 "#, #"{"a":1}x"#,
            #"01"#, #"1."#, #".5"#, #"-"#, #"1e"#, #"+1"#, #"tru"#, #"nul"#, #"{"a":}"#, #"{"a":1,}"#, #"[1,]"#,
            #"{"a\"b":1}"#, #""\u0041""#, #""\u000a""#, #""\/""#, "\"a\u{1}b\"", #""abc"#, #"{"a":1"#, #"["#, "",
        ]
        for text in refused {
            #expect(!CanonicalJSON.isCanonical(Array(text.utf8)), "\(text)")
        }
        let invalidUTF8: [[UInt8]] = [
            [0x22, 0xC0, 0x80, 0x22],  // overlong
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // a surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // past U+10FFFF
            [0x22, 0xE2, 0x82, 0x22],  // truncated
            [0x22, 0x80, 0x22],  // a lone continuation byte
        ]
        for bytes in invalidUTF8 {
            #expect(!CanonicalJSON.isCanonical(bytes), "\(bytes)")
            #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
        }
    }

    @Test func findsABadByteAtEveryPositionOfAString() throws {
        // Strings are scanned eight bytes at a time: put each kind of byte at each position of strings of each
        // length around that width.
        for length in 1..<20 {
            for position in 0..<length {
                func text(_ special: [UInt8]) -> [UInt8] {
                    var inside = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    inside.replaceSubrange(position...position, with: special)
                    return [UInt8(ascii: "\"")] + inside + [UInt8(ascii: "\"")]
                }
                for bad: [UInt8] in [[0x01], [0x1F], [0x22], [0x80], [0xC3], [0x5C, 0x78]] {
                    #expect(!CanonicalJSON.isCanonical(text(bad)), "\(bad) at \(position) of \(length)")
                }
                for good: [UInt8] in [[0x20], [0x7E], [0x7F], [0xC3, 0xA9], [0x5C, 0x22], [0x5C, 0x6E]] {
                    let bytes = text(good)
                    #expect(CanonicalJSON.isCanonical(bytes), "\(good) at \(position) of \(length)")
                    #expect(throws: Never.self) { try JSONParser.parse(bytes) }
                }
            }
        }
    }

    @Test func locatesTheMembersOfATopLevelObject() throws {
        let text = Array(#"{"a":{"x":[1,"}"]},"bb":"v\"w","c":null,"d":-1.5e3}"#.utf8)
        try text.withUnsafeBytes { bytes in
            let members = try #require(CanonicalJSON.check(bytes))
            #expect(members.count == 4)
            let found = (0..<4).map { index in
                let (key, value) = members.member(index, in: bytes)
                return String(decoding: key, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self)
            }
            #expect(found == [#"a={"x":[1,"}"]}"#, #"bb="v\"w""#, "c=null", "d=-1.5e3"])
        }
        let five = Array(#"{"a":1,"b":2,"c":3,"d":4,"e":5}"#.utf8)
        #expect(five.withUnsafeBytes { CanonicalJSON.check($0)?.count } == .some(nil))
        #expect(Array("{}".utf8).withUnsafeBytes { CanonicalJSON.check($0)?.count } == 0)
        #expect(Array("[1]".utf8).withUnsafeBytes { CanonicalJSON.check($0)?.count } == .some(nil))
        #expect(Array("{} ".utf8).withUnsafeBytes { CanonicalJSON.check($0) } == nil)
    }

    @Test func refusesNestingDeeperThanTheParserAccepts() throws {
        let limit = JSONParser.maximumDepth
        let deepest = Array((String(repeating: "[", count: limit) + String(repeating: "]", count: limit)).utf8)
        let tooDeep = Array((String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)).utf8)
        #expect(CanonicalJSON.isCanonical(deepest))
        #expect(!CanonicalJSON.isCanonical(tooDeep))
        #expect(throws: JSONParseError.self) { try JSONParser.parse(tooDeep) }
    }
}
