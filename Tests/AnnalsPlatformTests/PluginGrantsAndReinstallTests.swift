import Annals
@testable import AnnalsPlatform
import AnnalsResolver
import Foundation
import Testing

/// Permissions that installs and updates grant, installing again what an update removed, what an organization keeps
/// when its registry or allowlist moves, and pins during rollbacks.
@Suite("Plugin grants, reinstalls and what an organization keeps")
struct PluginGrantsAndReinstallTests {
    @Test("a plugin an update removed can be installed again")
    func reinstallAfterRemoval() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["a": ["1.0.0": ["c": "^1.0.0"], "2.0.0": [:]], "c": ["1.0.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("a", range: "^1", organization: "acme", actorId: "ana")
            let update = try await platform.update("a", range: "^2", organization: "acme", actorId: "ana")
            #expect(update.steps.first { $0.name == "c" }?.action == .remove)
            let again = try await platform.install("c", organization: "acme", actorId: "ana")
            #expect(again.steps.first { $0.name == "c" }?.action == .install)
            #expect(try platform.installs(organization: "acme").map(\.name).sorted() == ["a", "c"])
        }
    }

    @Test("an update cannot grant through a new dependency what it would have to ask for itself")
    func updatesNeedGrantsForNewDependencies() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                [
                    "app": ["1.0.0": [:], "1.1.0": ["leaky": "^1.0.0"], "1.2.0": [:]],
                    "leaky": ["1.0.0": [:]],
                ],
                permissions: [
                    "app": ["1.2.0": ["secrets.read:DB_PASSWORD"]], "leaky": ["1.0.0": ["secrets.read:DB_PASSWORD"]],
                ], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("app", range: "1.0.0", organization: "acme", actorId: "ana")
            for target in ["1.2.0", "1.1.0"] {
                await #expect {
                    try await platform.update("app", range: target, organization: "acme", actorId: "ana")
                } throws: { error in
                    guard case PlatformError.permissionsNotGranted(_, _, let permissions) = error else { return false }
                    return permissions == ["secrets.read:DB_PASSWORD"]
                }
            }
            let plan = try await platform.update(
                "app", range: "1.1.0", organization: "acme", grants: ["secrets.read:DB_PASSWORD"], actorId: "ana")
            #expect(plan.steps.first { $0.name == "leaky" }?.newGrants == ["secrets.read:DB_PASSWORD"])
        }
    }

    @Test("a refusal names the plugin that asks, with its own permissions, not the others'")
    func aRefusalNamesWhoAsks() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["feed": ["1.0.0": [:], "2.0.0": ["http": "^1.0.0"]], "http": ["1.0.0": [:]]],
                permissions: ["feed": ["2.0.0": ["kv", "secrets.read:K"]], "http": ["1.0.0": ["events.read"]]],
                to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("feed", range: "1.0.0", organization: "acme", actorId: "ana")
            await #expect {
                try await platform.update("feed", range: "^2.0.0", organization: "acme", actorId: "ana")
            } throws: { error in
                guard case PlatformError.permissionsNotGranted(let plugin, _, let permissions) = error else {
                    return false
                }
                return plugin == "http" && permissions == ["events.read"]
            }
            await #expect {
                try await platform.update(
                    "feed", range: "^2.0.0", organization: "acme", grants: ["events.read"], actorId: "ana")
            } throws: { error in
                guard case PlatformError.permissionsNotGranted(let plugin, _, let permissions) = error else {
                    return false
                }
                return plugin == "feed" && permissions == ["kv", "secrets.read:K"]
            }
        }
    }

    @Test("an install that moves an installed dependency to a version asking for more takes --grant")
    func installsTakeGrants() async throws {
        try await withPlatform { platform, directory in
            // old is installed with lib 1.0.0; then lib 1.1.0, asking for kv, and new, needing it, are published.
            let first = try writeManifest(
                ["old": ["1.0.0": ["lib": "^1.0.0"]], "lib": ["1.0.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(first), scope: .global, actorId: "ops")
            _ = try await platform.install("old", organization: "acme", actorId: "ana")
            let second = try writeManifest(
                [
                    "old": ["1.0.0": ["lib": "^1.0.0"]], "new": ["1.0.0": ["lib": "^1.1.0"]],
                    "lib": ["1.0.0": [:], "1.1.0": [:]],
                ],
                permissions: ["lib": ["1.1.0": ["kv"]]], to: directory)
            _ = try await platform.sync(RegistrySource(second), scope: .global, actorId: "ops")
            await #expect(throws: PlatformError.self) {
                try await platform.install("new", organization: "acme", actorId: "ana")
            }
            let plan = try await platform.install("new", organization: "acme", grants: ["kv"], actorId: "ana")
            #expect(plan.steps.first { $0.name == "lib" }?.action == .upgrade)
        }
    }

    @Test("a --grant that no plugin of the organization asks for is refused, naming what they ask for")
    func unaskedGrantsAreRefused() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["feed": ["1.0.0": [:], "2.0.0": [:]]], permissions: ["feed": ["2.0.0": ["secrets.read:KEY"]]],
                to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            let head = try platform.store.head().offset
            for dryRun in [true, false] {
                await #expect {
                    try await platform.install(
                        "feed", range: "1.0.0", organization: "acme", grants: ["kv"], actorId: "ana", dryRun: dryRun)
                } throws: { error in
                    guard case PlatformError.invalidArgument(let message) = error else { return false }
                    return message.hasPrefix("--grant kv: no plugin this install leaves installed in acme asks for it")
                        && message.hasSuffix("they ask for no permissions")
                }
            }
            #expect(try platform.store.head().offset == head)
            _ = try await platform.install("feed", range: "1.0.0", organization: "acme", actorId: "ana")
            // A misspelt permission is named, next to the one the new version asks for.
            await #expect {
                try await platform.update(
                    "feed", organization: "acme", grants: ["secrets.read:KEY", "secrets.read:KYE"], actorId: "ana")
            } throws: { error in
                guard case PlatformError.invalidArgument(let message) = error else { return false }
                return message
                    == "--grant secrets.read:KYE: no plugin this update leaves installed in acme asks for it; "
                    + "they ask for: secrets.read:KEY (feed@2.0.0)"
            }
            #expect(try platform.installs(organization: "acme").first?.version.description == "1.0.0")
            // A grant some plugin asks for is accepted, even when it is granted already.
            _ = try await platform.update("feed", organization: "acme", grants: ["secrets.read:KEY"], actorId: "ana")
            let again = try await platform.install(
                "feed", organization: "acme", grants: ["secrets.read:KEY"], actorId: "ana")
            #expect(again.steps.first?.action == .keep || again.steps.first?.action == .reconfigure)
        }
    }

    @Test("a withdrawn plugin is never installed anew, not even as a dependency; installs keep it")
    func withdrawnPluginsAreNotPulledIn() async throws {
        try await withPlatform { platform, directory in
            let path = try writeManifest(
                ["b": ["1.0.0": ["c": "^1.0.0"]], "c": ["1.0.0": [:]]], to: directory, name: "reg")
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            _ = try await platform.install("b", organization: "acme", actorId: "ana")
            _ = try writeManifest(["b": ["1.0.0": ["c": "^1.0.0"]]], to: directory, name: "reg")
            let report = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            #expect(report.removed == ["c"])
            await #expect {
                try await platform.install("b", organization: "beta", actorId: "ana")
            } throws: { error in
                // Named as withdrawn, not as an unknown package.
                guard case .resolutionFailed(let explanation) = error as? PlatformError else { return false }
                return explanation.contains("c ^1.0.0, which is withdrawn from its registry")
                    && !explanation.contains("not a known package")
            }
            #expect(try platform.installs(organization: "beta").isEmpty)
            // acme keeps its c: its graph still resolves.
            _ = try await platform.update("b", organization: "acme", actorId: "ana")
            #expect(try platform.installs(organization: "acme").map(\.name).sorted() == ["b", "c"])
        }
    }

    @Test("an allowlist narrowed after an install keeps the organization's graph resolvable")
    func narrowedAllowlist() async throws {
        try await withPlatform { platform, directory in
            let path = try writeManifest(
                ["y": ["1.0.0": ["x": "^1.0.0"]], "x": ["1.0.0": [:]], "w": ["1.0.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            _ = try await platform.install("y", organization: "acme", actorId: "ana")
            _ = try await platform.setAllowlist(["w"], organization: "acme", actorId: "ops")
            let plan = try await platform.install("w", organization: "acme", actorId: "ana")
            #expect(plan.steps.first { $0.name == "x" }?.action == .keep)
            // Hidden now, y stays at what is installed: a newer version is not offered to acme any more.
            _ = try writeManifest(
                ["y": ["1.0.0": ["x": "^1.0.0"], "2.0.0": ["x": "^1.0.0"]], "x": ["1.0.0": [:]], "w": ["1.0.0": [:]]],
                to: directory)
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            _ = try? await platform.update("y", organization: "acme", actorId: "ana")
            #expect(
                try platform.installs(organization: "acme").first { $0.name == "y" }?.version.description == "1.0.0")
        }
    }

    @Test("a rollback that would change a pinned install is refused")
    func rollbackRespectsPins() async throws {
        try await withPlatform { platform, directory in
            let path = try writeManifest(["lib": ["1.0.0": [:], "1.1.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            _ = try await platform.install("lib", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.update("lib", range: "^1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.pin("lib", organization: "acme", actorId: "ana")
            await #expect {
                try await platform.rollback("lib", organization: "acme", actorId: "ana")
            } throws: { error in
                guard case PlatformError.pinned(let plugin, _) = error else { return false }
                return plugin == "lib"
            }
            #expect(try platform.installs(organization: "acme").first?.version.description == "1.1.0")
        }
    }

    @Test("updating a dependency without --to moves it to the newest version its dependents allow")
    func dependencyUpdatesStayWithinTheirDependents() async throws {
        try await withPlatform { platform, directory in
            let path = try writeManifest(
                ["app": ["1.0.0": ["lib": "^1.0.0"]], "lib": ["1.0.0": [:]]], to: directory, name: "reg")
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            _ = try await platform.install("app", organization: "acme", actorId: "ana")
            _ = try writeManifest(
                ["app": ["1.0.0": ["lib": "^1.0.0"]], "lib": ["1.0.0": [:], "1.1.0": [:], "2.0.0": [:]]],
                to: directory, name: "reg")
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            let plan = try await platform.update("lib", organization: "acme", actorId: "ana")
            #expect(plan.steps.first { $0.name == "lib" }?.to?.description == "1.1.0")
            #expect(try platform.installs(organization: "acme").first { $0.name == "lib" }?.requested == nil)
        }
    }

    @Test("a plugin subscribing to a long pattern installs in an organization with a long name")
    func longSubscriptionPatterns() async throws {
        try await withPlatform { platform, directory in
            let pattern = String(repeating: "a", count: 120) + ".*"
            let manifest: JSONValue = [
                "format": "annals.plugins/1",
                "plugins": [
                    [
                        "name": "listener",
                        "versions": [
                            [
                                "version": "1.0.0", "subscribes": [.string(pattern)],
                                "actions": [["name": "on_event"]],
                            ]
                        ],
                    ]
                ],
            ]
            let path = directory + "/long.json"
            try Data(manifest.canonicalBytes).write(to: URL(fileURLWithPath: path))
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            let organization = String(repeating: "o", count: 32)
            _ = try await platform.install("listener", organization: organization, actorId: "ana")
            let edges = try platform.store.connections(ConnectionFilter(connectionType: "subscribes_to", limit: 10))
            #expect(edges.map { $0.properties["pattern"]?.stringValue } == [pattern])
            #expect(edges.allSatisfy { $0.toId.utf8.count <= 160 })
        }
    }

    @Test("a dependency on a prerelease updates to the newest prerelease its dependents allow")
    func prereleaseDependencyUpdates() async throws {
        try await withPlatform { platform, directory in
            let path = try writeManifest(
                ["app": ["1.0.0": ["lib": "^2.0.0-beta.1"]], "lib": ["2.0.0-beta.1": [:]]], to: directory, name: "reg")
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            _ = try await platform.install("app", organization: "acme", actorId: "ana")
            _ = try writeManifest(
                ["app": ["1.0.0": ["lib": "^2.0.0-beta.1"]], "lib": ["2.0.0-beta.1": [:], "2.0.0-beta.2": [:]]],
                to: directory, name: "reg")
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            _ = try await platform.update("lib", organization: "acme", actorId: "ana")
            #expect(
                try platform.installs(organization: "acme").first { $0.name == "lib" }?.version.description
                    == "2.0.0-beta.2")
        }
    }

    @Test("a pinned install that a rollback leaves as it is does not stop it")
    func unchangedPinsDoNotStopRollbacks() async throws {
        try await withPlatform { platform, directory in
            let path = try writeManifest(
                ["app": ["1.0.0": ["lib": "^1.0.0"], "1.1.0": ["lib": "^1.0.0"]], "lib": ["1.0.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            _ = try await platform.install("app", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.pin("lib", organization: "acme", actorId: "ana")
            _ = try await platform.update("app", range: "^1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.rollback("app", organization: "acme", actorId: "ana")
            #expect(
                try platform.installs(organization: "acme").first { $0.name == "app" }?.version.description == "1.0.0")
        }
    }

    @Test("events on the platform's streams are the platform's own, never a plugin's to read or receive")
    func platformEvents() {
        #expect(PlatformPluginHost.isPlatformEvent(type: "thing.updated", targetId: "kv:acme:other"))
        #expect(PlatformPluginHost.isPlatformEvent(type: "plugin_action_executed", targetId: "order-1"))
        #expect(!PlatformPluginHost.isPlatformEvent(type: "order.created", targetId: "order-1"))
    }

    @Test("a rollback whose restored install would require what another install has moved since is refused")
    func rollbackChecksWhatRestoredInstallsRequire() async throws {
        try await withPlatform { platform, directory in
            let path = try writeManifest(
                [
                    "a": ["1.0.0": ["c": "^1.0.0"], "2.0.0": ["c": ">=1.0.0"]], "b": ["1.0.0": ["c": "^2.0.0"]],
                    "c": ["1.0.0": [:], "2.0.0": [:]],
                ], to: directory)
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            _ = try await platform.install("a", range: "^1", organization: "acme", actorId: "ana")
            _ = try await platform.update("a", range: "^2", organization: "acme", actorId: "ana")
            _ = try await platform.install("b", organization: "acme", actorId: "ana")
            await #expect {
                try await platform.rollback("a", organization: "acme", actorId: "ana")
            } throws: { error in
                guard case PlatformError.resolutionFailed(let explanation) = error else { return false }
                return explanation.contains("requires c ^1.0.0, but it is at 2.0.0 now")
            }
            #expect(
                try platform.installs(organization: "acme").first { $0.name == "a" }?.version.description == "2.0.0")
        }
    }
}
