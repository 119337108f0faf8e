import AnnalsTestSupport
import Foundation
import Testing

/// The example plugins' directory, written by `make plugins`: modules and their registry.
private let examplePlugins = RepositoryPaths.examplePlugins

@Suite("annals plugin artifacts prune")
struct CLIPluginArtifactsTests {
    @Test("prune removes what no event records and stale temporary files, keeps the rest; --dry-run removes nothing")
    func prune() async throws {
        try #require(FileManager.default.fileExists(atPath: examplePlugins + "/registry.json"), "run `make plugins`")
        let digests = try exampleDigests()
        let (echo, quote) = (try #require(digests["echo.wasm"]), try #require(digests["price-quote.wasm"]))
        try await withHTTPServer(serving: examplePlugins) { base in
            try withCLIFixture { fx in
                try fx.initStore()
                #expect(try fx.annals("plugin", "artifacts", "prune").lines.count == 1)  // no cache yet: the summary
                // `mod` 1.0.0 runs echo, 1.1.0 price-quote, both downloaded; then the registry lists 1.1.0 alone.
                func sync(_ versions: [(String, String, String)]) throws {
                    let entries = versions.map { version, file, digest in
                        #"{"version": "\#(version)", "artifact": {"path": "\#(base)/\#(file)", "sha256": "\#(digest)"}, "#
                            + #""actions": [{"name": "quote"}]}"#
                    }
                    let manifest =
                        #"{"format": "annals.plugins/1", "plugins": [{"name": "mod", "versions": ["#
                        + entries.joined(separator: ", ") + "]}]}"
                    try manifest.write(toFile: fx.path("mirror.json"), atomically: true, encoding: .utf8)
                    let synced = try fx.annals("plugin", "sync", fx.path("mirror.json"))
                    try #require(synced.status == Exit.ok && synced.errors.isEmpty, "\(synced)")
                }
                try sync([("1.0.0", "echo.wasm", echo), ("1.1.0", "price-quote.wasm", quote)])
                try sync([("1.1.0", "price-quote.wasm", quote)])
                let cache = fx.store + "/artifacts"
                let stale = ".\(echo).\(UUID().uuidString).tmp"
                try Data(count: 10).write(to: URL(fileURLWithPath: cache + "/" + stale))
                // A module no event records, as a sync whose append failed leaves one.
                let unrecorded = String(repeating: "ab", count: 32) + ".wasm"
                try Data(count: 10).write(to: URL(fileURLWithPath: cache + "/" + unrecorded))
                try FileManager.default.setAttributes(
                    [.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: cache + "/" + stale)

                let dry = try fx.annals("plugin", "artifacts", "prune", "--dry-run")
                #expect(dry.status == Exit.ok, "\(dry)")
                let planned = dry.objects()
                #expect(planned.count == 5)
                let actions = Dictionary(
                    uniqueKeysWithValues: planned.dropLast().compactMap { line in
                        line.string("file").map { ($0, line.string("action") ?? "") }
                    })
                #expect(
                    actions == [
                        "\(echo).wasm": "kept", "\(quote).wasm": "kept", unrecorded: "would-remove",
                        stale: "would-remove",
                    ])
                #expect(planned.last?.bool("dryRun") == true && planned.last?.int("removed") == 2)
                #expect(FileManager.default.fileExists(atPath: cache + "/" + unrecorded))
                #expect(FileManager.default.fileExists(atPath: cache + "/" + stale))

                let pruned = try fx.annals("plugin", "artifacts", "prune")
                #expect(pruned.status == Exit.ok, "\(pruned)")
                let lines = pruned.objects()
                let kept = try #require(lines.first { $0.string("file") == "\(quote).wasm" })
                #expect(kept.string("action") == "kept" && kept.string("kind") == "module")
                #expect(kept.array("references") as? [String] == ["registry global/mod@1.1.0"])
                #expect(kept.keys == ["file", "kind", "bytes", "action", "reason", "references"])
                let removed = lines.filter { $0.string("action") == "removed" }.compactMap { $0.string("file") }
                #expect(Set(removed) == [unrecorded, stale])
                // The version the second sync dropped keeps its module: an annals rollback may restore it.
                let dropped = try #require(lines.first { $0.string("file") == "\(echo).wasm" })
                #expect(dropped.string("action") == "kept")
                #expect(dropped.array("references") as? [String] == ["history global/mod@1.0.0"])
                let summary = try #require(lines.last)
                #expect(
                    summary.keys == ["directory", "dryRun", "removed", "removedBytes", "kept", "keptBytes", "failed"])
                #expect(summary.int("removed") == 2 && summary.int("kept") == 2 && summary.int("failed") == 0)
                #expect(!FileManager.default.fileExists(atPath: cache + "/" + unrecorded))
                #expect(!FileManager.default.fileExists(atPath: cache + "/" + stale))
                #expect(FileManager.default.fileExists(atPath: cache + "/\(quote).wasm"))
                // The module kept still runs.
                #expect(try fx.annals("plugin", "install", "mod", "--group", "acme").status == Exit.ok)
                let run = try fx.annals(
                    "plugin", "run", "mod", "quote", "--group", "acme", "--input", #"{"symbol":"BTC","amount":1}"#)
                #expect(run.status == Exit.ok, "\(run)")

                let missing = try fx.annals("plugin", "artifacts", "prune", store: fx.path("nostore"))
                #expect(missing.status == Exit.notFound)
            }
        }
    }

    @Test(
        "a file that cannot be removed is kept and named, the others are still removed, and the exit code is 5",
        .enabled(
            if: ImmutableFiles.supported,
            "chattr +i is unavailable here, and nothing else stops root from removing a file"))
    func removalFailure() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let cache = fx.store + "/artifacts"
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            // Two modules no event records: both are to be removed, one cannot be.
            let (stuck, loose) = (
                String(repeating: "cd", count: 32) + ".wasm", String(repeating: "ef", count: 32) + ".wasm"
            )
            for name in [stuck, loose] { try Data(count: 10).write(to: URL(fileURLWithPath: cache + "/" + name)) }
            try ImmutableFiles.setImmutable(cache + "/" + stuck, true)
            defer { try? ImmutableFiles.setImmutable(cache + "/" + stuck, false) }

            let pruned = try fx.annals("plugin", "artifacts", "prune")
            #expect(pruned.status == Exit.storage, "\(pruned)")
            #expect(
                pruned.errors.contains(
                    "1 cached file(s) could not be removed, such as \(stuck) in \(cache) (cannot be removed: Operation not permitted)"
                ),
                "\(pruned)")
            let lines = pruned.objects()
            let kept = try #require(lines.first { $0.string("file") == stuck })
            #expect(kept.string("action") == "kept", "\(pruned)")
            #expect(kept.string("reason") == "cannot be removed: Operation not permitted", "\(pruned)")
            #expect(lines.first { $0.string("file") == loose }?.string("action") == "removed", "\(pruned)")
            #expect(lines.last?.int("failed") == 1 && lines.last?.int("removed") == 1, "\(pruned)")
            #expect(FileManager.default.fileExists(atPath: cache + "/" + stuck))
            #expect(!FileManager.default.fileExists(atPath: cache + "/" + loose))
        }
    }
}
