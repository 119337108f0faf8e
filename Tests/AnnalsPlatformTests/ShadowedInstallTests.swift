import Annals
import AnnalsResolver
import Foundation
import Testing

@testable import AnnalsPlatform

/// An installed global plugin that a private registry entry of the same name comes to shadow: the organization keeps
/// it, as it keeps a dependency its allowlist comes to hide, and only new resolutions see the private plugin.
@Suite("Installs shadowed by a private plugin")
struct ShadowedInstallTests {
    static let global: [String: [String: [String: String]]] = [
        "http-client": ["2.0.0": [:]],
        "price-feed": ["2.0.0": ["http-client": "^2.0.0"]],
        "portfolio": ["1.2.0": ["price-feed": ">=1.0.0 <3.0.0"]],
        "bv-ok": ["1.0.0": [:]],
    ]

    /// A platform where o1 installed portfolio (so http-client 2.0.0 from the global registry) before its private
    /// registry listed http-client 9.0.0.
    func withShadowedInstall(_ body: (PluginPlatform) async throws -> Void) async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(Self.global, to: directory, name: "public")
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("portfolio", organization: "o1", actorId: "ana")
            let priv = try writeManifest(["http-client": ["9.0.0": [:]]], to: directory, name: "priv")
            _ = try await platform.sync(RegistrySource(priv), scope: .organization("o1"), actorId: "ops")
            try await body(platform)
        }
    }

    func httpClient(_ platform: PluginPlatform) throws -> PluginInstall? {
        try platform.installs(organization: "o1").first { $0.name == "http-client" }
    }

    @Test("unrelated installs and updates succeed and keep the shadowed global install")
    func unrelatedChangesKeepIt() async throws {
        try await withShadowedInstall { platform in
            let plan = try await platform.install("bv-ok", organization: "o1", actorId: "ana")
            #expect(plan.steps.first { $0.name == "http-client" }?.action == .keep)
            _ = try await platform.update("http-client", organization: "o1", actorId: "ana")
            _ = try await platform.update("portfolio", organization: "o1", actorId: "ana")
            let install = try #require(try httpClient(platform))
            #expect(install.version.description == "2.0.0")
            #expect(install.source == .global)
            #expect(try platform.installs(organization: "o1").map(\.name).sorted().contains("bv-ok"))
        }
    }

    @Test("outdated does not offer the private plugin as the global install's update")
    func outdatedLeavesItAlone() async throws {
        try await withShadowedInstall { platform in
            let outdated = try platform.outdated(organization: "o1").map(\.name)
            #expect(!outdated.contains("http-client"))
        }
    }

    @Test("a resolution that fails because of the shadowing says so")
    func failureNamesTheShadowing() async throws {
        try await withShadowedInstall { platform in
            do {
                _ = try await platform.install("http-client", range: "^9.0.0", organization: "o1", actorId: "ana")
                Issue.record("moved a global install to the private plugin under its dependents")
            } catch {
                guard case .resolutionFailed(let explanation) = error as? PlatformError else { throw error }
                #expect(
                    explanation.contains(
                        "http-client 2.0.0 is installed from the global registry, but o1's private registry shadows "
                            + "that name and lists only 9.0.0"))
            }
            #expect(try httpClient(platform)?.version.description == "2.0.0")
        }
    }

    @Test("another organization's new resolutions still see only its private plugin")
    func newResolutionsSeeThePrivatePlugin() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(Self.global, to: directory, name: "public")
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            let priv = try writeManifest(["http-client": ["9.0.0": [:]]], to: directory, name: "priv")
            _ = try await platform.sync(RegistrySource(priv), scope: .organization("o2"), actorId: "ops")
            let plan = try await platform.install("http-client", organization: "o2", actorId: "ana")
            #expect(plan.steps.map(\.to?.description) == ["9.0.0"])
            #expect(try platform.installs(organization: "o2").first?.source == .organization("o2"))
            await #expect(throws: PlatformError.self) {
                try await platform.install("portfolio", organization: "o2", actorId: "ana")
            }
        }
    }

    @Test("a dependency shadowed by a withdrawn private plugin is reported withdrawn, not hidden by an allowlist")
    func withdrawnPrivatePluginIsNotAnAllowlist() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(Self.global, to: directory, name: "public")
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            let priv = try writeManifest(["http-client": ["9.0.0": [:]]], to: directory, name: "priv")
            _ = try await platform.sync(RegistrySource(priv), scope: .organization("o2"), actorId: "ops")
            // The private registry stops listing http-client: withdrawn, and the global one stays shadowed.
            _ = try writeManifest(["other": ["1.0.0": [:]]], to: directory, name: "priv")
            _ = try await platform.sync(RegistrySource(priv), scope: .organization("o2"), actorId: "ops")
            do {
                _ = try await platform.install("price-feed", organization: "o2", actorId: "ana")
                Issue.record("installed a global plugin in place of a withdrawn private one")
            } catch {
                guard case .resolutionFailed(let explanation) = error as? PlatformError else { throw error }
                #expect(explanation.contains("http-client was withdrawn from its registry"))
                // o2 has no allowlist: advice to change it would not help.
                #expect(!explanation.contains("allowlist"), "\(explanation)")
            }
        }
    }
}
