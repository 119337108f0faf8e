import AnnalsTestSupport
import Foundation
import Testing

/// `annals --help`: the overview names every exit code docs/CLI.md documents, and fits a terminal.
@Suite("CLI: help")
struct CLIHelpTests {
    @Test func theOverviewListsEveryDocumentedExitCode() throws {
        try withCLIFixture { fx in
            let result = try fx.run(["--help"], environment: ["COLUMNS": "80"])
            #expect(result.status == Exit.ok, "\(result)")
            let help = result.output
            let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
            let start = try #require(lines.firstIndex(of: "Exit codes:"), "no 'Exit codes:' section in\n\(help)")
            let section = lines[(start + 1)...].prefix { !$0.isEmpty }
            let listed = Set(section.flatMap(Self.codes(inHelpLine:)))

            let documentation = try String(
                contentsOf: RepositoryPaths.root.appendingPathComponent("docs/CLI.md"), encoding: .utf8)
            let documented = Self.documentedCodes(documentation)
            #expect(documented.count >= 10, "docs/CLI.md's exit code table was not found")
            #expect(listed == documented, "annals --help lists \(listed.sorted()), docs/CLI.md \(documented.sorted())")
            for line in lines { #expect(line.count <= 80, "a help line wider than 80 columns: \(line)") }
        }
    }

    /// The codes in a line of the help's two-column table, such as `  2  invalid input   9  projection unavailable`.
    private static func codes(inHelpLine line: Substring) -> [Int] {
        line.split(separator: " ").enumerated().compactMap { position, word in
            guard let code = Int(word) else { return nil }
            // A code opens a column: the first word of the line, or a word after a gap of two spaces or more.
            if position == 0 { return code }
            return line.contains("  " + word + "  ") ? code : nil
        }
    }

    /// The codes in the first column of docs/CLI.md's "Exit codes" table.
    private static func documentedCodes(_ markdown: String) -> Set<Int> {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        guard let heading = lines.firstIndex(of: "### Exit codes") else { return [] }
        var codes = Set<Int>()
        for line in lines[(heading + 1)...] {
            if line.hasPrefix("#") { break }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            if let first = cells.first, let code = Int(first) { codes.insert(code) }
        }
        return codes
    }
}
