import Foundation
import Testing

/// `annals-bench --write-history`: the ontology history as JSON lines that `annals append` takes, which is how
/// tools/profile/count-instructions.sh builds the store whose rebuild it counts.
@Suite("annals-bench --write-history")
struct BenchHistoryExportTests {
    /// The bench executable next to `annals`.
    private static var bench: String {
        URL(fileURLWithPath: AnnalsBinary.path).deletingLastPathComponent().appendingPathComponent("annals-bench").path
    }

    @Test func theQuickHistoryAppendsAndRebuildsToTheSameViews() throws {
        try withCLIFixture { fx in
            let history = fx.path("history.jsonl")
            let written = try runProcess(Self.bench, ["--quick", "--write-history", history])
            #expect(written.status == Exit.ok, "\(written)")
            let lines = try String(contentsOfFile: history, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 50_000)
            try fx.initStore()
            let prefix = lines.prefix(3_000).joined(separator: "\n") + "\n"
            let appended = try fx.annals("append", stdin: prefix)
            #expect(appended.status == Exit.ok, "\(appended)")
            #expect(appended.objects().count == 3_000)
            let rebuilt = try fx.annals("rebuild", "--all", "--verify")
            #expect(rebuilt.status == Exit.ok, "\(rebuilt)")
            #expect(rebuilt.objects().allSatisfy { $0.bool("matches") == true }, "\(rebuilt)")
        }
    }

    @Test func aMissingPathIsAUsageError() throws {
        let result = try runProcess(Self.bench, ["--write-history"])
        #expect(result.status == Exit.invalidArguments, "\(result)")
        #expect(result.errors.contains("--write-history needs a path"), "\(result)")
    }
}
