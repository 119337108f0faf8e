import Testing

@testable import AnnalsResolver

/// `1.2.3-` and a tag that makes the version `length` characters long.
private func version(length: Int) -> String { "1.2.3-" + letters(length - 6) }

/// `count` times `b`.
private func letters(_ count: Int) -> String { String(repeating: "b", count: count) }

/// `count` times `1`.
private func digits(_ count: Int) -> String { String(repeating: "1", count: count) }

/// Texts and whether they parse as versions: whitespace and a leading `v` count, the one `=` Annals allows does not.
private let countedVersions: [(String, Bool)] = [
    (" " + version(length: 256), false), ("v" + version(length: 256), false),
    ("\u{FEFF}" + version(length: 256), false), ("\u{3000}" + version(length: 255), true),
    ("=" + version(length: 256), true), (" =" + version(length: 256), true), ("v" + version(length: 255), true),
]

/// Ranges and whether they parse, by the length of the versions they compare with.
private let rangesByVersionLength: [(String, Bool)] = [
    // Kept as written, with its v and build metadata.
    (version(length: 256), true), (version(length: 257), false), ("v" + version(length: 256), false),
    ("=" + version(length: 256), true), ("> " + version(length: 256), true),
    ("1.2.3+" + letters(200) + "." + letters(40) + " - 2", true),
    ("1.2.3+" + letters(200) + "." + letters(60) + " - 2", false),
    // Rewritten: the numbers and the tag, without the build metadata.
    ("^" + version(length: 257), false), ("~v" + version(length: 256), true),
    ("1 - 1.2.3-a+" + letters(200) + "." + letters(100), true),
    // The range itself may be long.
    (Array(repeating: "1.2.3", count: 100).joined(separator: " "), true),
    (String(repeating: " ", count: 300) + "^1.2.3", true),
]

/// Ranges with text they drop, and whether they parse.
private let rangesWithDroppedText: [(String, Bool)] = [
    ("^1.2.3+" + letters(250), true), ("^1.2.3+" + letters(251), false),
    ("1.2.x-" + letters(251), true), ("1.2.x-" + letters(252), false),
    ("1.2.x-" + digits(257), true), ("1.2.x-" + digits(258), false),
    ("1.2.x-" + digits(256) + "-" + letters(250), true), ("1.2.x-" + digits(257) + "a", false),
    ("1.x." + digits(257), true), ("1.x." + digits(258), false),
]

/// npm's length limits (`MAX_LENGTH` 256 for a version; its regular expressions read at most 257 digits in a number
/// and 250 letters, digits and hyphens in a row), checked on the texts at each limit and one past it. The fixture
/// (`NpmSemverFixtureTests`) holds npm's own verdicts on the same cases.
@Suite("Versions and ranges: npm's length limits")
struct VersionLengthLimitTests {
    @Test("a version of 256 characters parses; one more is refused with its length")
    func versionLength() throws {
        #expect(try SemanticVersion(parsing: version(length: 256)).description == version(length: 256))
        let long = version(length: 257)
        #expect(throws: SemanticVersionParseError(input: long, reason: .tooLong(257))) {
            try SemanticVersion(parsing: long)
        }
        let error = SemanticVersionParseError(input: "x", reason: .tooLong(257)).reason.description
        #expect(error == "the version is 257 characters long, more than 256")
    }

    @Test(
        "whitespace and a leading v count, as npm counts them (UTF-16), the one = Annals allows does not",
        arguments: countedVersions)
    func versionLengthCounting(text: String, parses: Bool) {
        #expect((SemanticVersion(text) != nil) == parses)
    }

    @Test("the one = a version may start with: =1.2.3 parses, =v1.2.3 does not (npm's valid refuses both)")
    func equalsThenV() {
        #expect(SemanticVersion("=1.2.3") == SemanticVersion(1, 2, 3))
        #expect(SemanticVersion("=v1.2.3") == nil)
        #expect((try? VersionRange(parsing: "=v1.2.3"))?.contains(SemanticVersion(1, 2, 3)) == true)
    }

    @Test(
        "a range is refused for a version it compares with that is longer than 256 characters, not for its own length",
        arguments: rangesByVersionLength)
    func rangeLength(text: String, parses: Bool) {
        #expect(((try? VersionRange(parsing: text)) != nil) == parses, "\(text.count) characters")
    }

    @Test("an identifier or number a range drops is read as far as npm reads it", arguments: rangesWithDroppedText)
    func droppedText(text: String, parses: Bool) {
        #expect(((try? VersionRange(parsing: text)) != nil) == parses, "\(text.count) characters")
    }

    @Test("the errors name the token and the length")
    func rangeErrors() {
        let long = "^" + version(length: 257)
        #expect(
            throws: VersionRangeParseError(
                range: long, token: long, position: 0, reason: .invalidVersion(.tooLong(257)))
        ) { try VersionRange(parsing: long) }
        let build = letters(251)
        #expect(
            throws: VersionRangeParseError(
                range: "1 ^1.2.3+" + build, token: "^1.2.3+" + build, position: 2,
                reason: .invalidVersion(.identifierTooLong(build, section: "build metadata")))
        ) { try VersionRange(parsing: "1 ^1.2.3+" + build) }
    }
}
