import Annals
import AnnalsPlatform
import AnnalsResolver
import Foundation
import Testing

@Suite("Plugin install of an installed plugin: a version change is recorded like an update, so it can be rolled back")
struct PluginReinstallUpdateTests {
    /// Every install of acme, as `name@version requested=RANGE`.
    func installs(_ platform: PluginPlatform) throws -> [String] {
        try platform.installs(organization: "acme").map {
            "\($0.name)@\($0.version) requested=\($0.requested?.description ?? "-")"
        }
    }

    @Test("install NAME again moves it to ^latest, records where it came from, and rollback returns there")
    func reinstallThenRollback() async throws {
        try await withAppAndDependency(installing: "1.0.0") { platform in
            let before = try installs(platform)
            #expect(before == ["app@1.0.0 requested=1.0.0", "dep@1.0.0 requested=-"])
            let headBefore = try platform.store.head().offset

            let plan = try await platform.install("app", organization: "acme", actorId: "ana")
            #expect(plan.steps.first { $0.name == "app" }?.action == .upgrade)
            #expect(try installs(platform) == ["app@1.1.0 requested=^1.1.0", "dep@1.1.0 requested=-"])
            let app = try #require(try platform.installs(organization: "acme").first { $0.name == "app" })
            #expect(app.lastUpdate?.fromOffset == headBefore)
            #expect(app.lastUpdate?.fromVersion.description == "1.0.0")
            #expect(app.lastUpdate?.instances == ["install:acme:app", "install:acme:dep"])

            let rollback = try await platform.rollback("app", organization: "acme", actorId: "ana")
            #expect(rollback.targetOffset == headBefore && rollback.offset != nil)
            #expect(try installs(platform) == before)
            #expect(
                try platform.history("app", organization: "acme").map(\.operation) == [
                    "install", "install", "rollback",
                ])
        }
    }

    @Test("an install that changes nothing, or only the request, records no update: there is nothing to roll back")
    func reinstallWithoutAVersionChange() async throws {
        try await withAppAndDependency { platform in
            let again = try await platform.install("app", organization: "acme", actorId: "ana")
            #expect(again.steps.map(\.action) == [.keep, .keep])
            let widened = try await platform.install("app", range: "^1.0.0", organization: "acme", actorId: "ana")
            #expect(widened.steps.first { $0.name == "app" }?.action == .reconfigure)
            #expect(try platform.installs(organization: "acme").allSatisfy { $0.lastUpdate == nil })
            do {
                _ = try await platform.rollback("app", organization: "acme", actorId: "ana")
                Issue.record("a rollback found an update where no version changed")
            } catch {
                guard case .noRollbackTarget = error as? PlatformError else { throw error }
            }
        }
    }

    @Test(
        "an install that moves an installed plugin grants like an update: a new dependency's permissions need --grant")
    func reinstallNeedsGrantsForNewDependencies() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["app": ["1.0.0": [:], "1.1.0": ["leaky": "^1.0.0"]], "leaky": ["1.0.0": [:]]],
                permissions: ["leaky": ["1.0.0": ["secrets.read:DB_PASSWORD"]]], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("app", range: "1.0.0", organization: "acme", actorId: "ana")
            let head = try platform.store.head().offset
            for dryRun in [true, false] {
                await #expect {
                    try await platform.install(
                        "app", range: "1.1.0", organization: "acme", actorId: "ana", dryRun: dryRun)
                } throws: { error in
                    guard case PlatformError.permissionsNotGranted(let plugin, _, let permissions) = error else {
                        return false
                    }
                    return plugin == "leaky" && permissions == ["secrets.read:DB_PASSWORD"]
                }
            }
            #expect(try platform.store.head().offset == head, "nothing was written")
            let plan = try await platform.install(
                "app", range: "1.1.0", organization: "acme", grants: ["secrets.read:DB_PASSWORD"], actorId: "ana")
            #expect(plan.steps.first { $0.name == "leaky" }?.newGrants == ["secrets.read:DB_PASSWORD"])
            let leaky = try #require(try platform.installs(organization: "acme").first { $0.name == "leaky" })
            #expect(leaky.grants == ["secrets.read:DB_PASSWORD"])
        }
    }

    @Test("install NAME@RANGE moves an installed plugin to the newest version in RANGE, not the one it has")
    func reinstallMovesToTheNewestInRange() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(["feed": ["1.0.0": [:], "1.1.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("feed", range: "1.0.0", organization: "acme", actorId: "ana")
            let plan = try await platform.install("feed", range: "^1.0.0", organization: "acme", actorId: "ana")
            #expect(plan.steps.map(\.action) == [.upgrade])
            #expect(try installs(platform) == ["feed@1.1.0 requested=^1.0.0"])
        }
    }
}
