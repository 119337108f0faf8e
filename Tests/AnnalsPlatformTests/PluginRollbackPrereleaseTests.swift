import Annals
import AnnalsPlatform
import AnnalsResolver
import Foundation
import Testing

/// A rollback checks the requirements it could break with the resolver's rule for prereleases (npm's: a prerelease
/// is in a range only if a comparator names a prerelease of the same major, minor and patch), so it never restores a
/// prerelease that a requirement excludes, after which no install or update of the organization could resolve.
@Suite("Plugin rollback: prereleases are checked against requirements as the resolver reads them")
struct PluginRollbackPrereleaseTests {
    /// app@1.0.0 installed with dep 1.1.0-beta.1 (which it requires exactly), then an update of app moving dep to
    /// 1.2.0; q 1.0.0 requires dep `qRange`.
    func withPrereleaseToReturnTo(qRange: String = "^1.0.0", _ body: (PluginPlatform) async throws -> Void)
        async throws
    {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                [
                    "app": ["1.0.0": ["dep": "1.1.0-beta.1"], "1.1.0": ["dep": "^1.2.0"]],
                    "dep": ["1.1.0-beta.1": [:], "1.2.0": [:]],
                    "q": ["1.0.0": ["dep": qRange]],
                ], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("app", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.update("app", organization: "acme", actorId: "ana")
            #expect(try versions(platform) == ["app@1.1.0", "dep@1.2.0"])
            try await body(platform)
        }
    }

    /// Every install of acme, as `name@version`.
    func versions(_ platform: PluginPlatform) throws -> [String] {
        try platform.installs(organization: "acme").map { "\($0.name)@\($0.version)" }
    }

    /// Expects `rollback app` to be refused as breaking `problem` (exit 10), in a dry run too, with nothing written.
    func expectRollbackRefused(_ platform: PluginPlatform, naming problem: String) async throws {
        let head = try platform.store.head().offset
        for dryRun in [true, false] {
            await #expect {
                try await platform.rollback("app", organization: "acme", actorId: "ana", dryRun: dryRun)
            } throws: { error in
                guard case .resolutionFailed(let explanation) = error as? PlatformError else { return false }
                return explanation.contains(problem)
            }
        }
        #expect(try platform.store.head().offset == head)
    }

    @Test("a rollback to a prerelease that another install's range excludes is refused, naming the range")
    func prereleaseOutsideAnotherInstallsRange() async throws {
        try await withPrereleaseToReturnTo { platform in
            _ = try await platform.install("q", organization: "acme", actorId: "ana")
            try await expectRollbackRefused(
                platform, naming: "q@1.0.0 requires dep ^1.0.0, but the rollback returns it to 1.1.0-beta.1")
        }
    }

    @Test("a rollback to a prerelease outside the organization's own request for it is refused")
    func prereleaseOutsideTheOrganizationsRequest() async throws {
        try await withPrereleaseToReturnTo { platform in
            _ = try await platform.install("dep", range: "^1.0.0", organization: "acme", actorId: "ana")
            try await expectRollbackRefused(
                platform, naming: "acme asked for dep ^1.0.0, but the rollback returns it to 1.1.0-beta.1")
            // The organization still resolves, as it would not with dep at the prerelease.
            _ = try await platform.install("q", organization: "acme", actorId: "ana")
        }
    }

    @Test("a restored install whose range excludes the prerelease another install has moved to since is refused")
    func restoredRangeExcludesAPrereleaseInstalledSince() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["app": ["1.0.0": ["x": ">=1.0.0"], "1.1.0": [:]], "x": ["1.0.0": [:], "2.0.0-rc.1": [:]]],
                to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("x", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.install("app", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.update("app", organization: "acme", actorId: "ana")
            _ = try await platform.install("x", range: "2.0.0-rc.1", organization: "acme", actorId: "ana")
            #expect(try versions(platform) == ["app@1.1.0", "x@2.0.0-rc.1"])
            try await expectRollbackRefused(
                platform, naming: "app@1.0.0 requires x >=1.0.0, but it is at 2.0.0-rc.1 now")
        }
    }

    @Test("a range naming a prerelease of the same release admits it: the rollback goes through")
    func rangeNamingThePrerelease() async throws {
        try await withPrereleaseToReturnTo(qRange: ">=1.1.0-beta.1") { platform in
            _ = try await platform.install("dep", range: ">=1.1.0-beta.1", organization: "acme", actorId: "ana")
            let rollback = try await platform.rollback("app", organization: "acme", actorId: "ana")
            #expect(rollback.offset != nil)
            #expect(try versions(platform) == ["app@1.0.0", "dep@1.1.0-beta.1"])
            // The organization still resolves with the prerelease.
            let plan = try await platform.install("q", organization: "acme", actorId: "ana")
            #expect(plan.steps.first { $0.name == "dep" }?.action == .keep)
        }
    }
}
