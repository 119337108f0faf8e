import Annals
import AnnalsPlatform
import AnnalsResolver
import Foundation
import Testing

/// An install or update that keeps a plugin's version (only its request changes, or nothing) never grants it a
/// permission silently: one its release asks for that it was not granted is added only with `--grant`, and reported.
@Suite("Plugin grants of an install whose version stays: added only with --grant")
struct PluginReconfigureGrantTests {
    /// feed@1.0.0 installed in acme without kv, though its release asks for kv now: installed asking for nothing,
    /// updated to 2.0.0, then 1.0.0 dropped by a sync (no organization had it) and published again asking for kv,
    /// and the update rolled back (a rollback never grants what was not granted then or since).
    func withUngrantedPermission(_ body: (PluginPlatform) async throws -> Void) async throws {
        try await withPlatform { platform, directory in
            func sync(_ versions: [String: [String: String]], kvFor: [String]) async throws {
                let permissions = ["feed": Dictionary(uniqueKeysWithValues: kvFor.map { ($0, ["kv"]) })]
                let manifest = try writeManifest(["feed": versions], permissions: permissions, to: directory)
                _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            }
            try await sync(["1.0.0": [:], "2.0.0": [:]], kvFor: [])
            _ = try await platform.install("feed", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.update("feed", organization: "acme", actorId: "ana")
            try await sync(["2.0.0": [:]], kvFor: [])
            try await sync(["1.0.0": [:], "2.0.0": [:]], kvFor: ["1.0.0"])
            _ = try await platform.rollback("feed", organization: "acme", actorId: "ana")
            let feed = try #require(try platform.installs(organization: "acme").first)
            #expect(feed.version.description == "1.0.0" && feed.grants.isEmpty)
            try await body(platform)
        }
    }

    @Test("a change of request only keeps the grants; with --grant, the permission is added and reported")
    func reconfigureAddsOnlyWhatIsGranted() async throws {
        try await withUngrantedPermission { platform in
            let plan = try await platform.install("feed", range: "~1.0.0", organization: "acme", actorId: "ana")
            #expect(plan.steps.map(\.action) == [.reconfigure])
            #expect(plan.steps.first?.newGrants == [])
            #expect(try platform.installs(organization: "acme").first?.grants == [])

            let granted = try await platform.install(
                "feed", range: "~1.0.0", organization: "acme", grants: ["kv"], actorId: "ana")
            #expect(granted.steps.map(\.action) == [.reconfigure], "a kept install given a grant records it")
            #expect(granted.steps.first?.newGrants == ["kv"])
            #expect(try platform.installs(organization: "acme").first?.grants == ["kv"])
        }
    }
}
