import Annals
import AnnalsPlatform
import AnnalsResolver
import Foundation
import Testing

/// app 1.0.0 needs dep ~1.0.0 and app 1.1.0 dep ^1.1.0 (each test says which versions ask for which permissions).
private let releases: [String: [String: [String: String]]] = [
    "app": ["1.0.0": ["dep": "~1.0.0"], "1.1.0": ["dep": "^1.1.0"]],
    "dep": ["1.0.0": [:], "1.1.0": [:]],
]

@Suite("Plugin rollback: grants follow the version an install returns to")
struct PluginRollbackGrantTests {
    /// The install of `name` in acme.
    func install(_ platform: PluginPlatform, _ name: String) throws -> PluginInstall {
        try #require(try platform.installs(organization: "acme").first { $0.name == name })
    }

    /// Syncs `plugins`, asking for `permissions`, as the global registry (`directory/manifest.json`).
    func sync(
        _ platform: PluginPlatform, _ plugins: [String: [String: [String: String]]],
        permissions: [String: [String: [String]]], in directory: String
    ) async throws {
        let manifest = try writeManifest(plugins, permissions: permissions, to: directory)
        _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
    }

    /// A platform where acme installed app@1.0.0 (with dep 1.0.0) from ``releases`` asking for `permissions`, then
    /// updated app, moving dep to 1.1.0, with `grants`.
    func withAppUpdated(
        permissions: [String: [String: [String]]], grants: [String],
        _ body: (PluginPlatform, String) async throws -> Void
    ) async throws {
        try await withPlatform { platform, directory in
            try await sync(platform, releases, permissions: permissions, in: directory)
            _ = try await platform.install("app", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.update("app", organization: "acme", grants: grants, actorId: "ana")
            try await body(platform, directory)
        }
    }

    @Test("a grant made since for a permission the restored version does not ask for is revoked, and reported")
    func laterGrantIsRevokedAndReported() async throws {
        let permissions = ["app": ["1.1.0": ["events.read"]], "dep": ["1.2.0": ["kv"]]]
        try await withAppUpdated(permissions: permissions, grants: ["events.read"]) { platform, directory in
            // dep 1.2.0, published since, asks for kv: acme's own update of dep grants it.
            var later = releases
            later["dep"]?["1.2.0"] = [:]
            try await sync(platform, later, permissions: permissions, in: directory)
            _ = try await platform.update("dep", organization: "acme", grants: ["kv"], actorId: "ana")
            #expect(try install(platform, "dep").version.description == "1.2.0")
            #expect(try install(platform, "dep").grants == ["kv"])

            let dryRun = try await platform.rollback("app", organization: "acme", actorId: "ana", dryRun: true)
            // app's own grant goes with the update rolled back; dep's, made since for a version it leaves, goes too.
            #expect(dryRun.revokedGrants == ["app": ["events.read"], "dep": ["kv"]])
            let rollback = try await platform.rollback("app", organization: "acme", actorId: "ana")
            #expect(rollback.revokedGrants == dryRun.revokedGrants)
            #expect(rollback.changes == dryRun.changes)
            let dep = try install(platform, "dep")
            #expect(dep.version.description == "1.0.0" && dep.grants.isEmpty)
            #expect(try install(platform, "app").grants.isEmpty)
            // Not lost silently: moving app, and with it dep, forward again asks for kv again.
            await #expect {
                try await platform.update("app", organization: "acme", grants: ["events.read"], actorId: "ana")
            } throws: { error in
                guard case PlatformError.permissionsNotGranted(let plugin, _, let permissions) = error else {
                    return false
                }
                return plugin == "dep" && permissions == ["kv"]
            }
        }
    }

    @Test("a permission granted since that the version an install returns to asks for is kept")
    func grantTheRestoredVersionAsksForIsKept() async throws {
        let permissions = ["app": ["1.1.0": ["events.read"]], "dep": ["1.1.0": ["kv"]]]
        try await withAppUpdated(permissions: permissions, grants: ["events.read", "kv"]) { platform, directory in
            // No organization has app or dep 1.0.0 any more: a sync drops them, and their registry publishes them
            // again, asking for what the later versions ask for.
            var later = releases
            later["app"]?["1.0.0"] = nil
            later["dep"]?["1.0.0"] = nil
            try await sync(platform, later, permissions: permissions, in: directory)
            let republished = [
                "app": ["1.0.0": ["events.read"], "1.1.0": ["events.read"]], "dep": ["1.0.0": ["kv"], "1.1.0": ["kv"]],
            ]
            try await sync(platform, releases, permissions: republished, in: directory)

            let dryRun = try await platform.rollback("app", organization: "acme", actorId: "ana", dryRun: true)
            let rollback = try await platform.rollback("app", organization: "acme", actorId: "ana")
            #expect(rollback.revokedGrants.isEmpty && dryRun.revokedGrants.isEmpty)
            let app = try install(platform, "app")
            let dep = try install(platform, "dep")
            #expect(app.version.description == "1.0.0" && dep.version.description == "1.0.0")
            #expect(app.grants == ["events.read"], "the rollback took from app what app 1.0.0 asks for")
            #expect(dep.grants == ["kv"], "the rollback took from dep what dep 1.0.0 asks for")
            let change = try #require(dryRun.changes.first { $0.id == dep.thingId })
            #expect(change.target?["properties"]?["grants"] == ["kv"])
        }
    }
}
