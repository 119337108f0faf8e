import AnnalsTestSupport
import Foundation
import Testing

/// The demo's manifest registry (tools/demo/registry/market-plugins.json), which has dependencies, a conflict
/// (alerts) and a breaking update (price-feed 2.0.0 asks for a secret and drops an action).
private let marketRegistry = RepositoryPaths.root.appendingPathComponent(
    "tools/demo/registry/market-plugins.json"
).path

/// The real ElizaOS registry (see ``RepositoryPaths/elizaRegistry``).
private let elizaRegistry = RepositoryPaths.elizaRegistry

@Suite("annals plugin")
struct CLIPluginTests {
    @Test("sync the real ElizaOS registry, re-sync without events, and search it")
    func syncAndSearch() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let sync = try fx.annals("plugin", "sync", elizaRegistry)
            #expect(sync.status == Exit.ok, "\(sync)")
            let report = try sync.object()
            #expect(report.string("format") == "elizaos-directory")
            #expect((report.raw["added"] as? [Any])?.count == 372)
            let again = try fx.annals("plugin", "sync", elizaRegistry)
            #expect(try again.object().int("events") == 0)

            let search = try fx.annals("plugin", "search", "trade on a crypto exchange", "--limit", "5")
            #expect(search.status == Exit.ok, "\(search)")
            let names = search.objects().compactMap { $0.string("name") }
            #expect(names.count == 5)
            #expect(names.contains("@elizaos/plugin-ccxt"))
            #expect(search.objects().allSatisfy { ($0.string("why") ?? "").contains("matched") })
            let table = try fx.annals("plugin", "search", "redis cache", "--format", "table", "--limit", "3")
            #expect(table.output.contains("@elizaos/cache-redis"))

            // A short or miscased name is refused, with the registry's name suggested.
            let short = try fx.annals("plugin", "install", "plugin-sql", "--group", "acme")
            #expect(short.status == Exit.notFound)
            #expect(short.errors.contains("lists 'plugin-sql'; did you mean '@elizaos/plugin-sql'?"), "\(short)")
            let shown = try fx.annals("plugin", "show", "SQL")
            #expect(shown.status == Exit.notFound)
            #expect(shown.errors.contains("did you mean '@elizaos/plugin-sql'?"), "\(shown)")
            #expect(try fx.annals("plugin", "install", "@elizaos/plugin-sql", "--group", "acme").status == Exit.ok)
            for arguments in [["history", "plugin-sql"], ["run", "sql", "query"], ["update", "Plugin-SQL"]] {
                let result = try fx.run(["plugin"] + arguments + ["--group", "acme", "--store", fx.store])
                #expect(result.status == Exit.notFound, "\(arguments)")
                #expect(result.errors.contains("did you mean '@elizaos/plugin-sql'?"), "\(arguments): \(result)")
            }
        }
    }

    /// A new store with the market registry synced and portfolio 1.0.0 installed in acme (with its dependencies).
    private static func installPortfolio(_ fx: CLIFixture) throws -> CLIResult {
        try fx.initStore()
        #expect(try fx.annals("plugin", "sync", marketRegistry).status == Exit.ok)
        let install = try fx.annals("plugin", "install", "portfolio@1.0.0", "--group", "acme")
        #expect(install.status == Exit.ok, "\(install)")
        return install
    }

    @Test("rollback --to inside a plugin operation's batch is refused, and state --at there warns")
    func coreCommandsKnowPluginBatches() throws {
        try withCLIFixture { fx in
            let install = try Self.installPortfolio(fx)
            let summary = try #require(install.objects().last)
            let last = try #require(summary.int("offset"))
            let first = last - (try #require(summary.int("events"))) + 1
            #expect(last - first >= 2, "\(install)")
            let inside = first + 1
            for dryRun in [["--dry-run"], []] {
                let refused = try fx.run(
                    ["rollback", "--to", "\(inside)", "--group", "acme", "--store", fx.store] + dryRun)
                #expect(refused.status == Exit.invalidInput, "\(refused)")
                #expect(
                    refused.errors.contains(
                        "--to \(inside) is inside the batch of 'install portfolio@1.0.0' (offsets \(first)–\(last))"),
                    "\(refused)")
                #expect(refused.errors.contains("roll back to \(first - 1) (before it) or \(last) (after it)"))
            }
            #expect(try fx.annals("head").object().int("offset") == last, "nothing was appended")
            let state = try fx.annals("state", "--at", "\(inside)", "--group", "acme")
            #expect(state.status == Exit.ok, "\(state)")
            #expect(
                state.errors.contains(
                    "warning: offset \(inside) is inside the batch of 'install portfolio@1.0.0' at offsets "
                        + "\(first)–\(last)"), "\(state)")
            // Its ends are sound states: no warning, and a rollback to the offset before it is planned.
            #expect(try fx.annals("state", "--at", "\(last)", "--group", "acme").errors.isEmpty)
            let before = try fx.annals("rollback", "--to", "\(first - 1)", "--group", "acme", "--dry-run")
            #expect(before.status == Exit.ok, "\(before)")
        }
    }

    @Test("plugin history names a store rollback's events as a rollback, not by their event type")
    func historyKnowsStoreRollbacks() throws {
        try withCLIFixture { fx in
            let install = try Self.installPortfolio(fx)
            let summary = try #require(install.objects().last)
            let last = try #require(summary.int("offset"))
            let first = last - (try #require(summary.int("events"))) + 1
            let rollback = try fx.annals("rollback", "--to", "\(first - 1)", "--group", "acme")
            try #require(rollback.status == Exit.ok, "\(rollback)")
            let history = try fx.annals("plugin", "history", "portfolio", "--group", "acme")
            #expect(history.status == Exit.ok, "\(history)")
            let entries = history.objects()
            #expect(entries.map { $0.string("operation") } == ["install", "rollback"], "\(history)")
            // It said "thing.deleted".
            #expect(entries.last?.string("type") == "thing.deleted")
        }
    }

    @Test("rollback --to inside a registry sync's batch is refused, naming the sync")
    func coreCommandsKnowSyncBatches() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let sync = try fx.annals("plugin", "sync", marketRegistry)
            try #require(sync.status == Exit.ok, "\(sync)")
            let report = try sync.object()
            let last = try #require(report.int("offset"))
            let first = last - (try #require(report.int("events"))) + 1
            let refused = try fx.annals("rollback", "--to", "\(first + 1)", "--dry-run")
            #expect(refused.status == Exit.invalidInput, "\(refused)")
            #expect(
                refused.errors.contains(
                    "--to \(first + 1) is inside the batch of 'sync market-plugins' (offsets \(first)–\(last))"),
                "\(refused)")
            // A second sync of the same registry, right after it, is a batch of its own: the state between the two
            // is a sound target.
            let listing = try String(contentsOfFile: marketRegistry, encoding: .utf8)
            let changed = listing.replacingOccurrences(of: "Tracks a portfolio's value", with: "Tracks the value")
            try #require(changed != listing)
            try changed.write(toFile: fx.path("market.json"), atomically: true, encoding: .utf8)
            let again = try fx.annals("plugin", "sync", fx.path("market.json"), "--name", "market-plugins")
            try #require(again.status == Exit.ok, "\(again)")
            #expect(try again.object().int("offset")! > last, "\(again)")
            let between = try fx.annals("rollback", "--to", "\(last)", "--dry-run")
            #expect(between.status == Exit.ok, "\(between)")
        }
    }

    @Test("install, explain, outdated, update with --grant, pin, rollback and history, with their exit codes")
    func lifecycle() throws {
        try withCLIFixture { fx in
            let install = try Self.installPortfolio(fx)
            #expect(
                install.objects().dropLast().map { $0.string("name") } == [
                    "http-client", "json-schema", "price-feed", "portfolio",
                ])

            let explain = try fx.annals("plugin", "explain", "http-client", "--group", "acme", "--format", "table")
            #expect(
                explain.output.contains("acme asked for portfolio 1.0.0 → portfolio@1.0.0 requires price-feed ^1.0.0"))

            let conflict = try fx.annals("plugin", "install", "alerts", "--group", "acme")
            #expect(conflict.status == Exit.unresolvable)
            #expect(conflict.errors.contains("version solving failed"))

            let outdated = try fx.annals("plugin", "outdated", "--group", "acme")
            let feed = try #require(outdated.objects().first { $0.string("name") == "price-feed" })
            #expect(feed.bool("breaking") == true)

            #expect(try fx.annals("plugin", "install", "price-feed@^1.0.0", "--group", "acme").status == Exit.ok)
            let blocked = try fx.annals(
                "plugin", "update", "price-feed", "--group", "acme", "--grant", "secrets.read:PRICE_API_KEY")
            #expect(blocked.status == Exit.unresolvable, "portfolio 1.0.0 accepts only price-feed ^1: \(blocked)")
            #expect(try fx.annals("plugin", "update", "portfolio", "--group", "acme").status == Exit.ok)
            let refused = try fx.annals("plugin", "update", "price-feed", "--group", "acme")
            #expect(refused.status == Exit.permissionsNotGranted)
            #expect(refused.errors.contains("--grant secrets.read:PRICE_API_KEY"))
            let misspelt = try fx.annals(
                "plugin", "update", "price-feed", "--group", "acme", "--grant", "secrets.read:PRICE_APIKEY")
            #expect(misspelt.status == Exit.invalidInput, "\(misspelt)")
            #expect(misspelt.errors.contains("--grant secrets.read:PRICE_APIKEY: no plugin this update leaves"))
            #expect(misspelt.errors.contains("secrets.read:PRICE_API_KEY (price-feed@2.0.0)"))
            let update = try fx.annals(
                "plugin", "update", "price-feed", "--group", "acme", "--grant", "secrets.read:PRICE_API_KEY")
            #expect(update.status == Exit.ok, "\(update)")
            let before = try fx.annals("plugin", "list", "--group", "acme")
            #expect(before.objects().first { $0.string("name") == "price-feed" }?.string("version") == "2.0.0")

            // 1.1.0 never asked for the secret: the rollback takes that grant back and says so, dry run or not.
            for dryRun in [["--dry-run"], []] {
                let rollback = try fx.run(
                    ["plugin", "rollback", "price-feed", "--group", "acme", "--store", fx.store] + dryRun)
                #expect(rollback.status == Exit.ok, "\(rollback)")
                let revoked = rollback.objects().last?.object("revokedGrants")
                #expect(revoked?.array("price-feed") as? [String] == ["secrets.read:PRICE_API_KEY"], "\(rollback)")
            }
            let after = try fx.annals("plugin", "list", "--group", "acme")
            #expect(after.objects().first { $0.string("name") == "price-feed" }?.string("version") == "1.1.0")
            #expect(after.objects().first { $0.string("name") == "http-client" }?.string("version") == "1.1.0")

            #expect(try fx.annals("plugin", "pin", "price-feed", "--group", "acme").status == Exit.ok)
            let pinned = try fx.annals(
                "plugin", "update", "price-feed", "--group", "acme", "--grant", "secrets.read:PRICE_API_KEY")
            #expect(pinned.status == Exit.pinned)

            let history = try fx.annals("plugin", "history", "price-feed", "--group", "acme")
            #expect(
                history.objects().compactMap { $0.string("operation") } == [
                    "install", "install", "update", "rollback", "pin",
                ])
        }
    }

    @Test("a release whose module cannot be downloaded is skipped on stderr: exit 0, or 2 with --strict")
    func unavailableArtifact() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            // Nothing listens on port 1: the download fails at once with a network error.
            let url = "http://127.0.0.1:1/remote-1.1.0.wasm"
            try """
            {"format": "annals.plugins/1", "plugins": [{"name": "remote", "versions": [{"version": "1.0.0"},
              {"version": "1.1.0", "artifact": {"path": "\(url)", "sha256": "\(String(repeating: "ab", count: 32))"}}]}]}
            """.write(toFile: fx.path("remote.json"), atomically: true, encoding: .utf8)
            let synced = try fx.annals("plugin", "sync", fx.path("remote.json"))
            #expect(synced.status == Exit.ok, "\(synced)")
            #expect(
                synced.errors.contains(
                    "skipped remote (-): version 1.1.0 is left out: its artifact at \(url) cannot be downloaded: "))
            let report = try synced.object()
            #expect(report.array("added") as? [String] == ["remote"] && report.array("skipped")?.count == 1)
            let versions = try fx.annals("plugin", "show", "remote").object().array("versions") as? [[String: Any]]
            #expect(versions?.compactMap { $0["version"] as? String } == ["1.0.0"])
            let strict = try fx.annals("plugin", "sync", fx.path("remote.json"), "--strict")
            #expect(strict.status == Exit.invalidInput && strict.errors.contains("skipped (--strict)"), "\(strict)")
        }
    }

    @Test("bad input: a source that is not a registry, --strict, bad names and flags")
    func badInput() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try "[1, 2".write(toFile: fx.path("broken.json"), atomically: true, encoding: .utf8)
            let broken = try fx.annals("plugin", "sync", fx.path("broken.json"))
            #expect(broken.status == Exit.invalidInput)
            #expect(broken.errors.contains("line 1"))
            // A source named by a one-character relative path (which crashed the command) is read like any other.
            try "[]".write(toFile: fx.path("Z"), atomically: true, encoding: .utf8)
            let short = try fx.annals("plugin", "sync", "Z")
            #expect(short.status == Exit.invalidInput && short.errors.contains("/Z': "), "\(short)")
            try
                #"{"format": "annals.plugins/1", "plugins": [{"name": "ok", "versions": [{"version": "1.0.0"}]}, {"name": "bad", "versions": [{"version": "x"}]}]}"#
                .write(toFile: fx.path("mixed.json"), atomically: true, encoding: .utf8)
            let strict = try fx.annals("plugin", "sync", fx.path("mixed.json"), "--strict")
            #expect(strict.status == Exit.invalidInput)
            #expect(strict.errors.contains("skipped bad (line 1"))
            #expect(try fx.annals("plugin", "show", "ok").status == Exit.ok)  // the valid entry was still synced
            #expect(try fx.annals("plugin", "install", "ok", "--group", "global").status == Exit.invalidArguments)
            // The same bad organization is refused alike by every command that takes one.
            for arguments in [
                ["plugin", "sync", fx.path("mixed.json"), "--group", "global"],
                ["plugin", "search", "x", "--group", "global"], ["plugin", "show", "ok", "--group", "global"],
                ["plugin", "list", "--group", "global"],
            ] {
                #expect(try fx.run(arguments + ["--store", fx.store]).status == Exit.invalidArguments, "\(arguments)")
            }
            #expect(try fx.annals("plugin", "install", "nope", "--group", "acme").status == Exit.notFound)
            #expect(
                try fx.annals("plugin", "rollback", "ok", "--group", "acme", "--to", "soon").status
                    == Exit.invalidArguments)
            #expect(try fx.annals("plugin", "search", "x", "--limit", "0").status == Exit.invalidArguments)
            // Empty or malformed values are refused before the store is touched, naming the flag or argument.
            let mixed = fx.path("mixed.json")
            for (arguments, message) in [
                (["plugin", "sync", mixed, "--actor", ""], "--actor must not be empty"),
                (["plugin", "sync", mixed, "--name", "a/b"], "--name: registry name 'a/b'"),
                (["plugin", "install", "", "--group", "acme"], "NAME: the name is empty"),
                (["plugin", "install", "ok@", "--group", "acme"], "the range after '@' is empty"),
                (["plugin", "update", "ok", "--group", "acme", "--to", ""], "--to must not be empty"),
                (["plugin", "allow", "--group", "acme", ""], "an allowlist pattern must be 1–100 characters"),
                (["plugin", "search", "x", "--category", ""], "--category must not be empty"),
            ] {
                let result = try fx.run(arguments + ["--store", fx.store])
                #expect(result.status == Exit.invalidArguments && result.errors.contains(message), "\(result)")
            }
            // A registry file that does not exist is not found (4), like any other missing file.
            let missing = try fx.annals("plugin", "sync", fx.path("nosuch.json"))
            #expect(missing.status == Exit.notFound && missing.errors.contains("no such file or directory"))
        }
    }
}
