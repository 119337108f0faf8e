import Foundation
import Testing

@testable import AnnalsResolver

/// `version` parsed, for tables.
private func version(_ text: String) -> SemanticVersion { try! SemanticVersion(parsing: text) }

@Suite("npm version ranges")
struct VersionRangeTests {
    /// (range, versions inside, versions outside), under npm's default prerelease rule.
    static let membershipTable: [(String, [String], [String])] = [
        // Primitive comparators, intersections and unions.
        (">=1.2.3", ["1.2.3", "1.2.4", "2.0.0"], ["1.2.2", "1.2.3-beta", "2.0.0-rc.1"]),
        (">1.2.3", ["1.2.4"], ["1.2.3"]),
        ("<1.2.3", ["1.2.2", "0.0.1"], ["1.2.3", "1.2.3-beta"]),
        ("<=1.2.3", ["1.2.3"], ["1.2.4"]),
        ("=1.2.3", ["1.2.3", "1.2.3+build"], ["1.2.4"]),
        ("1.2.3", ["1.2.3"], ["1.2.4", "1.2.3-0"]),
        (">=1.0.0 <2.0.0", ["1.0.0", "1.9.9"], ["2.0.0", "0.9.9"]),
        (">= 1.0.0  < 2.0.0", ["1.5.0"], ["2.0.0"]),
        ("1.2.7 || >=1.2.9 <2.0.0", ["1.2.7", "1.2.9", "1.4.6"], ["1.2.8", "2.0.0"]),
        ("<1.0.0 || >=3.0.0", ["0.5.0", "3.1.0"], ["1.0.0", "2.9.9"]),
        // X-ranges and partial versions.
        ("*", ["0.0.0", "1.2.3", "99.0.0"], ["1.0.0-beta"]),
        ("", ["1.2.3"], ["1.2.3-rc.1"]),
        ("x", ["2.0.0"], []),
        ("X", ["2.0.0"], []),
        ("1", ["1.0.0", "1.9.9"], ["2.0.0", "0.9.0", "2.0.0-0"]),
        ("1.x", ["1.0.0", "1.9.9"], ["2.0.0"]),
        ("1.2.x", ["1.2.0", "1.2.99"], ["1.3.0", "1.1.9"]),
        ("1.2", ["1.2.0", "1.2.99"], ["1.3.0"]),
        ("1.2.*", ["1.2.5"], ["1.3.0"]),
        (">1", ["2.0.0"], ["1.9.9"]),
        (">1.2", ["1.3.0"], ["1.2.9"]),
        (">=1.2", ["1.2.0"], ["1.1.9"]),
        ("<1.2", ["1.1.9"], ["1.2.0", "1.2.0-0"]),
        ("<=1.2", ["1.2.9"], ["1.3.0"]),
        ("<*", [], ["0.0.0", "1.0.0"]),
        (">=*", ["1.0.0"], []),
        // Hyphen ranges.
        ("1.2.3 - 2.3.4", ["1.2.3", "2.3.4"], ["1.2.2", "2.3.5"]),
        ("1.2 - 2.3.4", ["1.2.0"], ["1.1.9"]),
        ("1.2.3 - 2.3", ["2.3.9"], ["2.4.0"]),
        ("1.2.3 - 2", ["2.9.9"], ["3.0.0"]),
        ("1.2.3-beta.1 - 2.0.0", ["1.2.3-beta.2", "1.5.0"], ["1.2.3-alpha", "1.5.0-beta"]),
        // Tilde.
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0", "1.2.2"]),
        ("~1.2", ["1.2.0", "1.2.9"], ["1.3.0"]),
        ("~1", ["1.0.0", "1.9.0"], ["2.0.0"]),
        ("~0.2.3", ["0.2.3", "0.2.9"], ["0.3.0"]),
        ("~0.0.1", ["0.0.1", "0.0.9"], ["0.1.0"]),
        ("~1.2.3-beta.2", ["1.2.3-beta.4", "1.2.5"], ["1.2.4-beta.2", "1.2.3-beta.1"]),
        ("~>1.2.3", ["1.2.5"], ["1.3.0"]),
        // Caret, with npm's 0.x rules.
        ("^1.2.3", ["1.2.3", "1.9.9"], ["2.0.0", "1.2.2", "2.0.0-0"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4"]),
        ("^1.2.3-beta.2", ["1.2.3-beta.2", "1.2.3-beta.4", "1.2.3", "1.5.0"], ["1.2.4-beta.2", "1.2.3-beta.1"]),
        ("^0.0.3-beta", ["0.0.3-pr.2", "0.0.3"], ["0.0.4"]),
        ("^1.2.x", ["1.2.0", "1.9.0"], ["2.0.0"]),
        ("^1.2", ["1.2.0", "1.9.0"], ["1.1.0", "2.0.0"]),
        ("^0.0.x", ["0.0.0", "0.0.9"], ["0.1.0"]),
        ("^0.0", ["0.0.0", "0.0.9"], ["0.1.0"]),
        ("^1.x", ["1.0.0", "1.9.0"], ["2.0.0"]),
        ("^0.x", ["0.0.0", "0.9.9"], ["1.0.0"]),
        ("^0", ["0.0.1", "0.9.9"], ["1.0.0"]),
        ("^0.1", ["0.1.0", "0.1.9"], ["0.2.0"]),
        ("^*", ["5.0.0"], ["5.0.0-rc"]),
        // Prereleases need a comparator with a prerelease on the same release.
        (">1.2.3-alpha.3", ["1.2.3-alpha.7", "3.4.5"], ["3.4.5-alpha.9", "1.2.3-alpha.3"]),
        (">=1.0.0-rc.1 <1.0.1", ["1.0.0-rc.2", "1.0.0"], ["1.0.1-rc.1", "0.9.0-rc.1"]),
        ("<2.0.0-rc.1", ["1.9.0", "2.0.0-beta"], ["1.9.0-beta", "2.0.0-rc.1"]),
        ("1.0.0-beta || 2.0.0-beta", ["1.0.0-beta", "2.0.0-beta"], ["1.0.0-alpha", "1.5.0-beta"]),
        ("v1.2.3", ["1.2.3"], []),
        (">=v1.2.3", ["1.2.4"], []),
        ("=v1.2.3", ["1.2.3"], ["1.2.4"]),
        // A tag after a wildcard third part is checked and ignored; rewritten ranges take any `v` and `=` first.
        ("1.2.x-beta", ["1.2.0", "1.2.9"], ["1.3.0", "1.2.0-beta"]),
        ("^1.2.x-beta", ["1.2.0", "1.9.0"], ["2.0.0"]),
        (">=1.2.x-beta", ["1.2.0"], ["1.1.9"]),
        ("x.x.x-beta", ["0.0.0", "5.1.0"], ["1.0.0-beta"]),
        ("1.2.x+build", ["1.2.3"], ["1.3.0"]),
        ("vv1.2", ["1.2.5"], ["1.3.0"]),
        ("~vv1.2.3", ["1.2.4"], ["1.3.0"]),
        ("^=1.2.3", ["1.9.0"], ["2.0.0"]),
        // A prerelease number may pass 64 bits, as in npm.
        ("1.2.3-99999999999999999999", ["1.2.3-99999999999999999999"], ["1.2.3-99999999999999999998", "1.2.3"]),
        (
            ">=1.0.0-18446744073709551616", ["1.0.0-99999999999999999999", "1.0.0-a", "1.0.0"],
            ["1.0.0-18446744073709551615", "1.0.0-5"]
        ),
        // A number after a wildcard is ignored whatever its size.
        ("1.x.9007199254740992", ["1.5.0"], ["2.0.0"]), ("*.99999999999999999999", ["2.0.0"], ["2.0.0-0"]),
        ("1.2.x-99999999999999999999", ["1.2.0"], ["1.3.0"]),
        // Hyphen sides take a run of `v` and `=`, unless npm keeps them as written (a full `FROM`, a full `TO`
        // without a prerelease tag).
        ("=1.2 - 2", ["1.2.0", "2.9.9"], ["1.1.9", "3.0.0"]), ("= 1.2 - =2", ["2.5.0"], ["3.0.0"]),
        ("v=1.2 - v=2", ["2.1.0"], ["1.1.0"]), ("1.2.3 - vv2.0.0-beta", ["2.0.0-alpha", "1.9.0"], ["2.0.0"]),
        // Lone operators are glued as npm glues them: `~ >` is `~>`, and a lone `~>` before `>` is `~`.
        ("~ > 1.2.3", ["1.2.5"], ["1.3.0"]), ("~> > 1.2.3", ["1.2.3"], ["1.3.0"]), ("~> >=1.2.3", ["1.2.9"], ["1.3.0"]),
        // Whitespace is JavaScript's: the byte order mark is, U+0085 is not.
        ("1.2.3\u{FEFF}", ["1.2.3"], []), (">=1.0.0\u{FEFF}<2", ["1.5.0"], ["2.0.0"]),
        ("1.2.3\u{3000}||\u{A0}2", ["2.5.0"], ["1.2.4"]),
    ]

    @Test("membership table", arguments: membershipTable)
    func membership(range text: String, inside: [String], outside: [String]) throws {
        let range = try VersionRange(parsing: text)
        for candidate in inside {
            #expect(range.contains(version(candidate)), "\(text) should contain \(candidate)")
        }
        for candidate in outside {
            #expect(!range.contains(version(candidate)), "\(text) should not contain \(candidate)")
        }
    }

    @Test(
        "includePrerelease reads the range as node-semver's option does",
        arguments: [
            ("^1.2.3", "1.5.0-beta", true), ("*", "1.0.0-beta", true), ("^1.2", "1.2.0-beta", true),
            ("^1.2.3", "2.0.0-beta", false), ("1.2.3 - 2.3.4", "2.3.4-beta", true), ("<1.2.3", "1.2.3-beta", true),
            // A hyphen range's full lower end starts at its `-0` prerelease, as node-semver's `hyphenReplace` does.
            ("1.2.3 - 2.3.4", "1.2.3-alpha", true), ("1.2.3 - 2", "1.2.3-0", true), ("1.2.3 - 2", "1.2.2", false),
        ])
    func includePrerelease(range text: String, candidate: String, expected: Bool) throws {
        let range = try VersionRange(parsing: text)
        #expect(range.contains(version(candidate), includePrerelease: true) == expected)
        #expect(!range.contains(version(candidate)))
    }

    @Test(
        "descriptions are the normalised text",
        arguments: [
            ("  ^1.2.3  ", "^1.2.3"), (">= 1.0.0   <2", ">=1.0.0 <2"), ("1.x||>=2.5.0", "1.x || >=2.5.0"),
            ("1.2.3  -  2", "1.2.3 - 2"), ("", "*"), ("v1.2.3", "1.2.3"), ("~ 1.2", "~1.2"), ("1 || ", "1 || *"),
        ])
    func normalisedDescription(text: String, expected: String) throws {
        let range = try VersionRange(parsing: text)
        #expect(range.description == expected)
        #expect(try VersionRange(parsing: range.description) == range)
    }

    @Test("dist-tags and workspace: are distinct errors", arguments: ["latest", "next", "alpha", " beta ", "next-2"])
    func distTags(text: String) {
        do {
            _ = try VersionRange(parsing: text)
            Issue.record("\(text) parsed as a range")
        } catch {
            #expect(error.reason == .distTag(String(Substring(text).trimmingWhitespace())))
        }
    }

    @Test("workspace: ranges are their own error", arguments: ["workspace:*", "workspace:^", "workspace:~"])
    func workspace(text: String) {
        #expect(throws: VersionRangeParseError(range: text, token: text, position: 0, reason: .workspaceProtocol(text)))
        {
            try VersionRange(parsing: text)
        }
    }

    @Test(
        "invalid ranges name the token and its position",
        arguments: [
            (">=1.02", ">=1.02", 0, VersionRangeParseError.Reason.invalidVersion(.leadingZero(.minor))),
            ("^1.2.3 <=", "<=", 7, .missingVersion),
            ("1.2.3 - ", "-", 6, .misplacedHyphen),
            (">1 - 2", "-", 3, .misplacedHyphen),
            ("1.x-beta", "1.x-beta", 0, .prereleaseOnPartialVersion),
            ("1.2.3.4", "1.2.3.4", 0, .invalidVersion(.extraComponent("4"))),
            ("^1.2.3 || >=abc", ">=abc", 10, .invalidVersion(.notANumber(.major, "abc"))),
            ("1.2.3-01", "1.2.3-01", 0, .invalidVersion(.leadingZeroInPrerelease("01"))),
            ("1.2-rc.1", "1.2-rc.1", 0, .prereleaseOnPartialVersion),
            ("1.2+b", "1.2+b", 0, .buildOnPartialVersion), ("1+b", "1+b", 0, .buildOnPartialVersion),
            ("*+b", "*+b", 0, .buildOnPartialVersion), ("1.x+build", "1.x+build", 0, .buildOnPartialVersion),
            ("==1.2.3", "==1.2.3", 0, .extraPrefix("==")), (">==1.2.3", ">==1.2.3", 0, .extraPrefix(">==")),
            ("<==1.2.3", "<==1.2.3", 0, .extraPrefix("<==")), ("= =1.2.3", "==1.2.3", 0, .extraPrefix("==")),
            ("vv1.2.3", "vv1.2.3", 0, .extraPrefix("vv")), ("v=1.2.3", "v=1.2.3", 0, .extraPrefix("v=")),
            ("1.2.3 - vv2.0.0", "vv2.0.0", 8, .extraPrefix("vv")),
            ("9007199254740992.0.0", "9007199254740992.0.0", 0, .invalidVersion(.tooLarge("9007199254740992"))),
            // npm refuses a range it rewrites into a bound past 2^53 − 1.
            ("^9007199254740991", "^9007199254740991", 0, .boundTooLarge("<9007199254740992.0.0-0")),
            ("1 ~0.9007199254740991.2", "~0.9007199254740991.2", 2, .boundTooLarge("<0.9007199254740992.0-0")),
            ("1 - 1.9007199254740991", "1.9007199254740991", 4, .boundTooLarge("<1.9007199254740992.0-0")),
            ("<=9007199254740991", "<=9007199254740991", 0, .boundTooLarge("<9007199254740992.0.0-0")),
            ("=1.2.3 - 2", "=1.2.3", 0, .extraPrefix("=")), ("1 - vv2.0.0", "vv2.0.0", 4, .extraPrefix("vv")),
            ("^ > 1.2.3", "^>1.2.3", 0, .invalidVersion(.notANumber(.major, ">1"))),
            ("1.2.3\u{85}", "1.2.3\u{85}", 0, .invalidVersion(.notANumber(.patch, "3\u{85}"))),
        ])
    func invalidRanges(text: String, token: String, position: Int, reason: VersionRangeParseError.Reason) {
        #expect(throws: VersionRangeParseError(range: text, token: token, position: position, reason: reason)) {
            try VersionRange(parsing: text)
        }
    }

    @Test("the error text names the range, the token and the position")
    func errorDescription() {
        do {
            _ = try VersionRange(parsing: "^1.0.0 || >=1.02")
            Issue.record("parsed")
        } catch {
            #expect(
                error.description
                    == "invalid version range \"^1.0.0 || >=1.02\": at character 10, \">=1.02\": leading zero in the "
                    + "minor version")
        }
    }

    @Test("exactly and any")
    func helpers() {
        #expect(VersionRange.exactly(version("1.2.3-rc.1")).contains(version("1.2.3-rc.1")))
        #expect(!VersionRange.exactly(version("1.2.3")).contains(version("1.2.4")))
        #expect(VersionRange.any.contains(version("7.0.0")))
        #expect(VersionRange.any.description == "*")
    }

    @Test("Codable as the normalised text")
    func codable() throws {
        let range = try VersionRange(parsing: ">= 1.0.0 <2")
        let data = try JSONEncoder().encode([range])
        #expect(String(decoding: data, as: UTF8.self) == "[\">=1.0.0 <2\"]")
        #expect(try JSONDecoder().decode([VersionRange].self, from: data) == [range])
    }
}
