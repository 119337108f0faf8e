import AnnalsTestSupport
import Foundation
import Testing

/// `annals plugin sync` refuses, with exit 2 and nothing written, a source that does not look like the registry it
/// re-syncs: an error page served in its place, or one most of whose entries are skipped while it would withdraw more
/// than half of the registry's plugins; `--allow-withdraw` syncs the latter anyway.
@Suite("annals plugin sync: withdrawing a registry")
struct CLIPluginSyncWithdrawalTests {
    /// The registry both tests re-sync: two plugins.
    private static let registry = #"{"@elizaos/plugin-sql": "github:e/sql", "@elizaos/plugin-evm": "github:e/evm"}"#

    /// GitHub's error body, served at the registry's path: its `documentation_url` is no repository, so it lists no
    /// plugin, and both plugins stay listed.
    @Test func aGitHubErrorBodyIsRefused() throws {
        try withSyncedRegistry { fx, index in
            let documentation = "https://docs.github.com/rest/repos/contents#get-repository-content"
            try #"{"message": "Not Found", "documentation_url": "\#(documentation)", "status": "404"}"#
                .write(toFile: index, atomically: true, encoding: .utf8)
            let head = try fx.headOffset()
            let refused = try fx.annals("plugin", "sync", index)
            #expect(refused.status == Exit.invalidInput, "\(refused)")
            #expect(refused.errors.contains("it lists no plugin (3 entries skipped)"), "\(refused)")
            #expect(refused.errors.contains("is not a repository reference"), "\(refused)")
            #expect(try fx.headOffset() == head)
            try expectListed(["@elizaos/plugin-sql", "@elizaos/plugin-evm"], fx)
        }
    }

    /// A body with one entry that looks like a plugin of its own: two of its three entries are skipped and it would
    /// withdraw both plugins, so it is refused; `--allow-withdraw` syncs it.
    @Test func mostlySkippedAndWithdrawingMostIsRefusedUnlessAllowed() throws {
        try withSyncedRegistry { fx, index in
            try #"{"message": "Moved Permanently", "url": "https://github.com/e/moved", "status": "301"}"#
                .write(toFile: index, atomically: true, encoding: .utf8)
            let head = try fx.headOffset()
            let refused = try fx.annals("plugin", "sync", index)
            #expect(refused.status == Exit.invalidInput, "\(refused)")
            #expect(
                refused.errors.contains(
                    "2 of its 3 entries were skipped, and syncing it would withdraw 2 of the 2 plugins registry 'index' "
                        + "lists; nothing was written (to sync it anyway, allow the withdrawals: --allow-withdraw). "
                        + "skipped message (line 1, column 2)"),
                "\(refused)")
            #expect(try fx.headOffset() == head)
            try expectListed(["@elizaos/plugin-sql", "@elizaos/plugin-evm"], fx)

            let allowed = try fx.annals("plugin", "sync", index, "--allow-withdraw")
            #expect(allowed.status == Exit.ok, "\(allowed)")
            let report = try allowed.object()
            #expect(report.array("removed") as? [String] == ["@elizaos/plugin-evm", "@elizaos/plugin-sql"])
            #expect(report.array("added") as? [String] == ["url"])
        }
    }

    /// A registry that drops most of its plugins, every entry of it valid, is synced: only a mostly skipped source is
    /// suspect.
    @Test func aValidSourceMayWithdrawMost() throws {
        try withSyncedRegistry { fx, index in
            try #"{"@elizaos/plugin-sql": "github:e/sql"}"#.write(toFile: index, atomically: true, encoding: .utf8)
            let synced = try fx.annals("plugin", "sync", index)
            #expect(synced.status == Exit.ok, "\(synced)")
            #expect(try synced.object().array("removed") as? [String] == ["@elizaos/plugin-evm"])
        }
    }

    /// A store with ``registry`` synced from `index.json` in the fixture directory (whose path `body` gets).
    private func withSyncedRegistry(_ body: (CLIFixture, String) throws -> Void) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let index = fx.path("index.json")
            try Self.registry.write(toFile: index, atomically: true, encoding: .utf8)
            let synced = try fx.annals("plugin", "sync", index)
            try #require(synced.status == Exit.ok, "\(synced)")
            try body(fx, index)
        }
    }

    /// Expects each of `names` to be listed, not withdrawn.
    private func expectListed(
        _ names: [String], _ fx: CLIFixture, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for name in names {
            let shown = try fx.annals("plugin", "show", name)
            #expect(shown.status == Exit.ok, "\(shown)", sourceLocation: sourceLocation)
            #expect(try shown.object().bool("withdrawn") == false, "\(shown)", sourceLocation: sourceLocation)
        }
    }
}
