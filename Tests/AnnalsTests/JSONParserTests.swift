import Testing

@testable import Annals

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(
            #" {"a": [1, -2.5e3, true, false, null], "b": "x\"\u00e9\ud83d\ude00\n", "c": {}} "#)
        #expect(value["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        #expect(value["b"] == .string("x\"é😀\n"))
        #expect(value["c"] == .object([:]))
    }

    @Test func canonicalBytesSortKeysAndKeepNumbersExact() throws {
        let value = try JSONParser.parse(#"{"b": 1.10, "a": {"z": 1, "y": [3, 2]}, "é": "\u0001"}"#)
        #expect(value.canonicalString == #"{"a":{"y":[3,2],"z":1},"b":1.10,"é":"\u0001"}"#)
        #expect(try JSONParser.parse(value.canonicalBytes) == value)
    }

    @Test(arguments: [
        (#"{"a":1,}"#, "trailing comma in object"),
        (#"[1,]"#, "trailing comma in array"),
        (#"{"a":1,"a":2}"#, "duplicate key \"a\""),
        (#"{"a":01}"#, "leading zero"),
        (#"{"a":tru}"#, "invalid literal"),
        (#"{"a":"\ud800"}"#, "lone high surrogate"),
        (#"{"a":"\q"}"#, "invalid escape"),
        (#"{"a" 1}"#, "expected ':'"),
        (#"{"a":1} x"#, "unexpected data after"),
        (#""#, "unexpected end of input"),
        (#"{"a":"unterminated"#, "unterminated string"),
    ])
    func rejectsMalformedInputWithAReason(input: String, reason: String) {
        do {
            _ = try JSONParser.parse(input)
            Issue.record("accepted \(input)")
        } catch {
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }

    @Test func stringsWithAPlainPrefixThenEscapesOrNonASCII() throws {
        let value = try JSONParser.parse(#"["plain", "abc\"def", "abc\u00e9", "abcé", "", "a\\"]"#)
        #expect(
            value
                == .array([
                    .string("plain"), .string("abc\"def"), .string("abcé"), .string("abcé"), .string(""),
                    .string("a\\"),
                ]))
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[\"abc\u{01}\"]") }
        let invalid: [UInt8] = Array(#"["abc"#.utf8) + [0xC3, 0x28] + Array(#""]"#.utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(invalid) }
    }

    @Test func aDuplicateKeyIsReportedWhereItStarts() {
        do {
            _ = try JSONParser.parse(#"{"a":1,"b":2,"a":3}"#)
            Issue.record("accepted")
        } catch {
            #expect(error.reason == #"duplicate key "a""#)
            #expect(error.byteOffset == 13)
        }
    }

    @Test func reportsTheColumnOfTheProblem() {
        do {
            _ = try JSONParser.parse(#"{"type": "x", "n": 1,}"#)
            Issue.record("accepted")
        } catch {
            #expect(error.column == 22)
            #expect(error.byteOffset == 21)
            #expect(error.line == 1)
            #expect(error.description == "trailing comma in object at column 22 (byte 21)")
        }
    }

    @Test func reportsTheLineOfAProblemPastTheFirst() {
        do {
            _ = try JSONParser.parse("{\n  \"a\": 1,\n  \"b\": tru\n}")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 8)
            #expect(error.description.hasSuffix("at line 3, column 8 (byte 19)"), "\(error)")
        }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
        let overlong: [UInt8] = Array(#"{"a":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(overlong) }
        let raw: [UInt8] = Array(#"{"a":1}"#.utf8) + [0xFF]
        #expect(throws: JSONParseError.self) { try JSONParser.parse(raw) }
    }

    @Test func limitsNesting() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        do {
            _ = try JSONParser.parse(deep)
            Issue.record("accepted")
        } catch {
            #expect(error.reason.contains("nesting"))
        }
    }
}
