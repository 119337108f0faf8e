import Foundation
import Testing

@testable import AnnalsResolver

/// One case of `Fixtures/npm-semver-cases.jsonl`, as tools/faults/semver-diff.py writes it: npm's verdicts (or
/// Annals's, where docs/PLUGINS.md documents a deviation, named in `dev`).
private struct NpmSemverCase: Decodable {
    /// The range text.
    let r: String
    /// The version text.
    let v: String
    /// Whether the range parses.
    let rok: Bool
    /// Whether the version parses.
    let vok: Bool
    /// Whether the version satisfies the range, when both parse.
    let sat: Bool?
    /// The same with `includePrerelease`, when both parse (and npm can read the range so).
    let inc: Bool?
    /// The deviation from npm the verdicts follow, if any.
    let dev: String?
}

@Suite("npm's own verdicts on random ranges and versions")
struct NpmSemverFixtureTests {
    /// The fixture, or the file named by `ANNALS_SEMVER_CASES` (a bigger run of the generator).
    static let fixture: URL = {
        if let path = ProcessInfo.processInfo.environment["ANNALS_SEMVER_CASES"] {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/npm-semver-cases.jsonl")
    }()

    @Test("Annals parses and matches as npm does, case by case")
    func matchesNpm() throws {
        let data = try Data(contentsOf: Self.fixture)
        let lines = data.split(separator: UInt8(ascii: "\n"))
        var mismatches: [String] = []
        for line in lines {
            let item = try JSONDecoder().decode(NpmSemverCase.self, from: Data(line))
            let label =
                "range \(String(reflecting: item.r)), version \(String(reflecting: item.v))"
                + (item.dev.map { " (deviation \($0))" } ?? "")
            let range = try? VersionRange(parsing: item.r)
            let version = SemanticVersion(item.v)
            if (range != nil) != item.rok { mismatches.append("\(label): range parses: \(range != nil)") }
            if (version != nil) != item.vok { mismatches.append("\(label): version parses: \(version != nil)") }
            guard let range, let version else { continue }
            if let expected = item.sat, range.contains(version) != expected {
                mismatches.append("\(label): satisfies: \(!expected), npm says \(expected)")
            }
            if let expected = item.inc, range.contains(version, includePrerelease: true) != expected {
                mismatches.append("\(label): satisfies with includePrerelease: \(!expected), npm says \(expected)")
            }
        }
        #expect(lines.count >= 1000, "the fixture has \(lines.count) cases")
        for mismatch in mismatches.prefix(30) {
            Issue.record("\(mismatch)")
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(lines.count) cases differ from npm")
    }
}
