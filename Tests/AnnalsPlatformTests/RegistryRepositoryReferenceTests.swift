import Annals
import AnnalsPlatform
import Foundation
import Testing

/// An ElizaOS index entry's value must be a repository reference in one of npm's forms: anything else (the values of
/// an error page served in the index's place) skips the entry.
@Suite("Registry index repository references")
struct RegistryRepositoryReferenceTests {
    /// Values an index may give, each synced as its plugin's repository.
    @Test(arguments: [
        "github:elizaos-plugins/plugin-sql", "github:kamiyo-ai/kamiyo-protocol#main:packages/kamiyo-eliza",
        "gitlab:group/subgroup/repo", "bitbucket:team/repo", "elizaos/plugin-sql", "https://github.com/acme/x",
        "https://www.github.com/acme/x/", "https://codeberg.org/acme/x", "https://git.example.org/acme/x.git",
        "git+https://git.example.org/acme/x", "git://example.org/acme/x.git", "ssh://git@example.org:2222/acme/x.git",
        "git@github.com:acme/x.git",
    ])
    func aRepositoryReferenceIsTaken(_ repository: String) async throws {
        try await withPlatform { platform, directory in
            let report = try await sync(["p": repository], in: directory, platform)
            #expect(report.added == ["p"] && report.problems.isEmpty, "\(report)")
            #expect(try platform.plugin("p")?.repository == repository)
        }
    }

    /// Values of error pages and other strings that name no repository, each skipping its entry.
    @Test(arguments: [
        "https://docs.github.com/rest/repos/contents#get-repository-content", "https://api.github.com/repos/acme/x",
        "https://example.org/acme/x", "https://github.com/acme", "https://github.com/acme/x?tab=readme", "Not Found",
        "404", "/acme/x", "acme/x/y", "acme/../x", "github:acme", "github:acme/x/y", "github:acme/x#", "ftp://h/a/b",
        "git@github.com:acme", "acme/ x",
    ])
    func anythingElseSkipsTheEntry(_ repository: String) async throws {
        try await withPlatform { platform, directory in
            let report = try await sync(["p": repository, "ok": "github:acme/ok"], in: directory, platform)
            #expect(report.added == ["ok"], "\(report)")
            #expect(report.problems.map(\.entry) == ["p"])
            #expect(
                report.problems.first?.reason.hasPrefix("the repository '\(repository)' is not a repository reference")
                    == true, "\(report.problems)")
        }
    }

    /// Syncs an index of `entries` written to `directory/index.json`.
    private func sync(
        _ entries: [String: String], in directory: String, _ platform: PluginPlatform
    ) async throws -> SyncReport {
        let path = directory + "/index.json"
        try Data(JSONValue.object(entries.mapValues(JSONValue.string)).canonicalBytes)
            .write(to: URL(fileURLWithPath: path))
        return try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
    }
}
