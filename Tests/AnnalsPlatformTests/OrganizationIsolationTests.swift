import Annals
import AnnalsPlatform
import Foundation
import Testing

@Suite("Organizations")
struct OrganizationIsolationTests {
    @Test("two organizations see the global registry plus their own, never each other's private entries")
    func isolation() async throws {
        try await withPlatform { platform, directory in
            let global = try writeManifest(["shared": ["1.0.0": [:]]], to: directory, name: "global")
            let acme = try writeManifest(
                ["acme-secret": ["1.0.0": ["shared": ">=1.0.0"]], "shared": ["2.0.0": [:]]], to: directory, name: "acme"
            )
            let beta = try writeManifest(["beta-tool": ["1.0.0": [:]]], to: directory, name: "beta")
            _ = try await platform.sync(RegistrySource(global), scope: .global, actorId: "ops")
            _ = try await platform.sync(RegistrySource(acme), scope: .organization("acme"), actorId: "ops")
            _ = try await platform.sync(RegistrySource(beta), scope: .organization("beta"), actorId: "ops")

            #expect(try platform.plugins(organization: "acme").map(\.name) == ["acme-secret", "shared"])
            #expect(try platform.plugins(organization: "beta").map(\.name) == ["beta-tool", "shared"])
            #expect(try platform.plugins().map(\.name) == ["shared"])
            // acme's private "shared" shadows the global one for acme only.
            #expect(try platform.plugin("shared", organization: "acme")?.scope == .organization("acme"))
            #expect(try platform.plugin("shared", organization: "beta")?.scope == .global)
            #expect(try platform.plugin("acme-secret", organization: "beta") == nil)
            #expect(
                try platform.search("acme secret plugin", organization: "beta").allSatisfy {
                    $0.plugin.name != "acme-secret"
                })
            #expect(try platform.search("acme secret plugin", organization: "acme").first?.plugin.name == "acme-secret")

            await #expect(throws: PlatformError.self) {
                try await platform.install("acme-secret", organization: "beta", actorId: "bob")
            }
            _ = try await platform.install("acme-secret", organization: "acme", actorId: "ana")
            _ = try await platform.install("shared", organization: "beta", actorId: "bob")
            #expect(
                try platform.installs(organization: "acme").map { "\($0.name)@\($0.version)" } == [
                    "acme-secret@1.0.0", "shared@2.0.0",
                ])
            #expect(try platform.installs(organization: "beta").map { "\($0.name)@\($0.version)" } == ["shared@1.0.0"])
        }
    }

    @Test("another organization's private plugins change neither the scores nor the order of a search")
    func searchScoresIgnoreOtherOrganizations() async throws {
        try await withPlatform { platform, directory in
            let global = try writeManifest(["shared-tool": ["1.0.0": [:]]], to: directory, name: "global")
            let beta = try writeManifest(["beta-tool": ["1.0.0": [:]]], to: directory, name: "beta")
            _ = try await platform.sync(RegistrySource(global), scope: .global, actorId: "ops")
            _ = try await platform.sync(RegistrySource(beta), scope: .organization("beta"), actorId: "ops")
            func results() throws -> [String] {
                try platform.search("tool secret", organization: "beta").map {
                    "\($0.plugin.name) \($0.score) \($0.lexicalScore ?? -1)"
                }
            }
            let before = try results()
            #expect(before.count == 2)
            // Eight private plugins of acme's hold both words: before, beta's lexical scores dropped.
            var secrets: [String: [String: [String: String]]] = [:]
            for index in 0..<8 { secrets["acme-secret-tool-\(index)"] = ["1.0.0": [:]] }
            let acme = try writeManifest(secrets, to: directory, name: "acme")
            _ = try await platform.sync(RegistrySource(acme), scope: .organization("acme"), actorId: "ops")
            #expect(try results() == before)
            #expect(try platform.search("tool secret", organization: "acme").count == 9)
        }
    }

    @Test("an allowlist narrows what an organization sees of the global registry")
    func allowlist() async throws {
        try await withPlatform { platform, directory in
            let global = try writeManifest(
                ["@good/a": ["1.0.0": [:]], "@good/b": ["1.0.0": [:]], "risky": ["1.0.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(global), scope: .global, actorId: "ops")
            #expect(try await platform.setAllowlist(["@good/*"], organization: "acme", actorId: "ops") != nil)
            #expect(try platform.allowlist(organization: "acme") == ["@good/*"])
            #expect(try platform.plugins(organization: "acme").map(\.name) == ["@good/a", "@good/b"])
            #expect(try platform.plugins(organization: "beta").count == 3)
            do {
                _ = try await platform.install("risky", organization: "acme", actorId: "ana")
                Issue.record("installed a plugin acme's allowlist hides")
            } catch {
                // Not found (exit 4), and the message says why: the allowlist, not an unknown name.
                guard case .notFound(let message) = error as? PlatformError else { throw error }
                #expect(
                    message.contains("it exists in the global registry but acme's allowlist hides it"), "\(message)")
            }
            _ = try await platform.setAllowlist([], organization: "acme", actorId: "ops")
            #expect(try platform.plugins(organization: "acme").count == 3)
        }
    }
}
