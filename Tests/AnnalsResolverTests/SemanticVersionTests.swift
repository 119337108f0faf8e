import Foundation
import Testing

@testable import AnnalsResolver

@Suite("Semantic versions: parsing, precedence, coding")
struct SemanticVersionTests {
    @Test(
        "valid versions parse and print canonically",
        arguments: [
            ("1.2.3", "1.2.3"), (" v1.2.3 ", "1.2.3"), ("=1.2.3", "1.2.3"), ("0.0.0", "0.0.0"),
            ("1.0.0-alpha", "1.0.0-alpha"), ("1.0.0-alpha.1", "1.0.0-alpha.1"), ("1.0.0-0.3.7", "1.0.0-0.3.7"),
            ("1.0.0-x.7.z.92", "1.0.0-x.7.z.92"), ("1.0.0-x-y-z.--", "1.0.0-x-y-z.--"),
            ("1.0.0+20130313144700", "1.0.0+20130313144700"),
            ("1.0.0-beta+exp.sha.5114f85", "1.0.0-beta+exp.sha.5114f85"),
            ("1.0.0+21AF26D3----117B344092BD", "1.0.0+21AF26D3----117B344092BD"), ("\t2.10.100\n", "2.10.100"),
            // SemVer sets no limit on a prerelease number, nor does npm; whitespace is JavaScript's.
            ("1.0.0-20240101123045123456", "1.0.0-20240101123045123456"), ("\u{FEFF}1.2.3\u{3000}", "1.2.3"),
        ])
    func parsesValidVersions(text: String, canonical: String) throws {
        let version = try SemanticVersion(parsing: text)
        #expect(version.description == canonical)
        #expect(SemanticVersion(canonical) == version)
    }

    @Test(
        "invalid versions name the input and the problem",
        arguments: [
            ("", SemanticVersionParseError.Reason.empty), ("1.2", .missingComponent(.patch)),
            ("1", .missingComponent(.minor)), ("01.2.3", .leadingZero(.major)), ("1.02.3", .leadingZero(.minor)),
            ("1.2.03", .leadingZero(.patch)), ("1.2.3.4", .extraComponent("4")), ("1.x.3", .notANumber(.minor, "x")),
            ("1.2.3-", .emptyIdentifier(section: "prerelease tag")),
            ("1.2.3-alpha..1", .emptyIdentifier(section: "prerelease tag")),
            ("1.2.3-01", .leadingZeroInPrerelease("01")), ("1.2.3+", .emptyIdentifier(section: "build metadata")),
            ("1.2.3-al_pha", .invalidCharacter("_", section: "prerelease tag")),
            ("99999999999999999999.0.0", .tooLarge("99999999999999999999")), ("latest", .notANumber(.major, "latest")),
            // npm's numbers stop at Number.MAX_SAFE_INTEGER (2^53 − 1).
            ("18446744073709551615.0.0", .tooLarge("18446744073709551615")),
            ("1.9007199254740992.0", .tooLarge("9007199254740992")),
            ("\u{85}1.2.3", .notANumber(.major, "\u{85}1")),
        ])
    func rejectsInvalidVersions(text: String, reason: SemanticVersionParseError.Reason) {
        #expect(throws: SemanticVersionParseError(input: text, reason: reason)) {
            try SemanticVersion(parsing: text)
        }
        #expect(SemanticVersion(text) == nil)
    }

    @Test("the error says what is wrong in words")
    func errorDescription() {
        do {
            _ = try SemanticVersion(parsing: "1.02.3")
            Issue.record("1.02.3 parsed")
        } catch {
            #expect(error.description == "invalid version \"1.02.3\": leading zero in the minor version")
        }
    }

    @Test("precedence follows the SemVer 2.0.0 example list")
    func specPrecedenceList() throws {
        let ordered = [
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
            "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1",
        ].map { try! SemanticVersion(parsing: $0) }
        for (lower, higher) in zip(ordered, ordered.dropFirst()) {
            #expect(lower < higher, "\(lower) < \(higher)")
            #expect(!(higher < lower))
        }
        #expect(ordered.shuffled().sorted() == ordered)
        #expect(try SemanticVersion(parsing: "1.9.0") < SemanticVersion(parsing: "1.10.0"))
        #expect(try SemanticVersion(parsing: "1.0.0-2") < SemanticVersion(parsing: "1.0.0-10"))
        #expect(try SemanticVersion(parsing: "1.0.0-10") < SemanticVersion(parsing: "1.0.0-a"))
    }

    @Test("prerelease numbers past 64 bits compare by value, after smaller numbers and before text")
    func largePrereleaseNumbers() throws {
        let ordered = [
            "1.0.0-18446744073709551615", "1.0.0-18446744073709551616", "1.0.0-99999999999999999999",
            "1.0.0-100000000000000000000", "1.0.0-100000000000000000001", "1.0.0-a", "1.0.0",
        ].map { try! SemanticVersion(parsing: $0) }
        for (lower, higher) in zip(ordered, ordered.dropFirst()) {
            #expect(lower < higher, "\(lower) < \(higher)")
            #expect(!(higher < lower))
        }
        #expect(ordered[1].prerelease == [.largeNumeric("18446744073709551616")])
        #expect(ordered[0].prerelease == [.numeric(18_446_744_073_709_551_615)])
    }

    @Test("build metadata is ignored by precedence, equality and hashing but kept for printing")
    func buildMetadataIgnored() throws {
        let first = try SemanticVersion(parsing: "1.0.0+build.1")
        let second = try SemanticVersion(parsing: "1.0.0+build.2")
        #expect(first == second)
        #expect(!(first < second) && !(second < first))
        #expect(Set([first, second]).count == 1)
        #expect(first.buildMetadata == ["build", "1"])
    }

    @Test("Codable as a string")
    func codable() throws {
        let versions = [try SemanticVersion(parsing: "1.2.3-rc.1+sha.9")]
        let data = try JSONEncoder().encode(versions)
        #expect(String(decoding: data, as: UTF8.self) == "[\"1.2.3-rc.1+sha.9\"]")
        #expect(try JSONDecoder().decode([SemanticVersion].self, from: data) == versions)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([SemanticVersion].self, from: Data("[\"1.2\"]".utf8))
        }
    }
}
