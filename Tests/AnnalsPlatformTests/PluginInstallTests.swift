import Annals
import AnnalsResolver
import Foundation
import Testing

@testable import AnnalsPlatform

@Suite("Plugin installs")
struct PluginInstallTests {
    /// app needs ui and db; ui and db both need core (a diamond).
    static let diamond: [String: [String: [String: String]]] = [
        "app": ["1.0.0": ["ui": "^1.0.0", "db": "^2.0.0"]],
        "ui": ["1.0.0": ["core": "^1.2.0"], "1.1.0": ["core": ">=1.3.0 <2.0.0"]],
        "db": ["2.0.0": ["core": "~1.3.0"], "2.1.0": ["core": "^1.3.1"]],
        "core": ["1.2.0": [:], "1.3.0": [:], "1.3.5": [:], "1.4.0": [:], "2.0.0": [:]],
    ]

    @Test("a diamond resolves to one shared version, newest that fits, installed dependencies first")
    func diamondInstall() async throws {
        try await withPlatform { platform, directory in
            _ = try await platform.sync(
                RegistrySource(try writeManifest(Self.diamond, to: directory)), scope: .global, actorId: "ops")
            let plan = try await platform.install("app", organization: "acme", actorId: "ana")
            #expect(plan.steps.map(\.name) == ["core", "db", "ui", "app"])
            #expect(plan.steps.allSatisfy { $0.action == .install })
            let installs = Dictionary(
                uniqueKeysWithValues: try platform.installs(organization: "acme").map { ($0.name, $0) })
            #expect(installs["core"]?.version.description == "1.4.0")  // db 2.1.0 (^1.3.1) and ui 1.1.0 agree
            #expect(installs["db"]?.version.description == "2.1.0")
            #expect(installs["app"]?.requested?.description == "^1.0.0")
            #expect(installs["core"]?.requested == nil)
            let why = try platform.explain("core", organization: "acme")
            #expect(why.chains.count == 2)
            #expect(why.chains.contains { $0.last == "db@2.1.0 requires core ^1.3.1" })
        }
    }

    @Test("^0.x ranges stay within the minor version; installed dependencies that fit are kept")
    func zeroMajorAndSkips() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                [
                    "lib": ["0.2.0": [:], "0.2.9": [:], "0.3.0": [:]],
                    "tool": ["1.0.0": ["lib": "^0.2.0"]],
                    "other": ["1.0.0": ["lib": ">=0.2.0"]],
                ], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("tool", organization: "acme", actorId: "ana")
            #expect(
                try platform.installs(organization: "acme").first { $0.name == "lib" }?.version.description == "0.2.9")
            let plan = try await platform.install("other", organization: "acme", actorId: "ana")
            #expect(plan.steps.first { $0.name == "lib" }?.action == .keep)
        }
    }

    @Test("a conflict is explained with the clashing requirements and suggestions; nothing is written")
    func conflict() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                [
                    "a": ["1.0.0": ["c": "^2.0.0"]], "b": ["1.0.0": ["c": "^1.0.0"]],
                    "c": ["1.0.0": [:], "2.0.0": [:]],
                ], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("a", organization: "acme", actorId: "ana")
            let head = try platform.store.head().offset
            do {
                _ = try await platform.install("b", organization: "acme", actorId: "ana")
                Issue.record("the install must fail")
            } catch let error as PlatformError {
                guard case .resolutionFailed(let explanation) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(explanation.contains("b@1.0.0 depends on c ^1.0.0"))
                #expect(explanation.contains("a@1.0.0 depends on c ^2.0.0"))
                #expect(explanation.contains("version solving failed"))
            }
            #expect(try platform.store.head().offset == head)
        }
    }

    @Test("a dependency cycle is reported with its path")
    func cycle() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["x": ["1.0.0": ["y": "^1.0.0"]], "y": ["1.0.0": ["x": "^1.0.0"]]], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            do {
                _ = try await platform.install("x", organization: "acme", actorId: "ana")
                Issue.record("the install must fail")
            } catch let error as PlatformError {
                #expect(
                    error.description.contains("x@1.0.0 → y@1.0.0 → x@1.0.0")
                        || error.description.contains("y@1.0.0 → x@1.0.0 → y@1.0.0"), "\(error)")
            }
        }
    }

    @Test("a dry run plans without writing; unknown plugins and bad ranges are refused")
    func dryRunAndErrors() async throws {
        try await withPlatform { platform, directory in
            _ = try await platform.sync(
                RegistrySource(try writeManifest(Self.diamond, to: directory)), scope: .global, actorId: "ops")
            let head = try platform.store.head().offset
            let plan = try await platform.install("app", organization: "acme", actorId: "ana", dryRun: true)
            #expect(plan.steps.count == 4 && !plan.events.isEmpty && plan.offset == nil)
            #expect(try platform.store.head().offset == head)
            await #expect(throws: PlatformError.self) {
                try await platform.install("nope", organization: "acme", actorId: "ana")
            }
            await #expect(throws: PlatformError.self) {
                try await platform.install("app", range: "^^1", organization: "acme", actorId: "ana")
            }
            await #expect(throws: PlatformError.self) {
                try await platform.install("app", organization: "global", actorId: "ana")
            }
        }
    }

    @Test("a dist-tag named like a range (the ElizaOS registry's v0, v1) installs its tagged version")
    func distTagsNamedLikeRanges() async throws {
        try await withPlatform { platform, directory in
            let text = #"""
                {"registry": {"@e/p": {"description": "p", "npm": {"v0": "0.9.1", "v1": "2.3.0", "alpha": "3.0.0-alpha.1"}}}}
                """#
            let path = directory + "/generated-registry.json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            for (tag, version) in [("v1", "2.3.0"), ("v0", "0.9.1"), ("alpha", "3.0.0-alpha.1")] {
                let plan = try await platform.install(
                    "@e/p", range: tag, organization: "acme", actorId: "ana", dryRun: true)
                #expect(plan.steps.map(\.to?.description) == [version], "@\(tag)")
            }
            // A range is still a range.
            let range = try await platform.install(
                "@e/p", range: "^2.0.0", organization: "acme", actorId: "ana", dryRun: true)
            #expect(range.steps.map(\.to?.description) == ["2.3.0"])
        }
    }

    @Test("a dependency the allowlist hides is named as hidden, not as unknown")
    func hiddenDependencyIsExplained() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["app": ["1.0.0": ["util": "^1.0.0"]], "util": ["1.0.0": [:]], "utility": ["1.0.0": [:]]], to: directory
            )
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.setAllowlist(["app"], organization: "o3", actorId: "ops")
            do {
                _ = try await platform.install("app", organization: "o3", actorId: "ana")
                Issue.record("installed a plugin whose dependency is hidden")
            } catch {
                guard case .resolutionFailed(let explanation) = error as? PlatformError else { throw error }
                #expect(explanation.contains("util exists in the global registry but o3's allowlist hides it"))
                #expect(
                    explanation.contains("util ^1.0.0, which is in the global registry but hidden by o3's allowlist"))
                #expect(!explanation.contains("not a known package") && !explanation.contains("no such package"))
                #expect(!explanation.contains("utility exists"), "only the packages the explanation names")
            }
            #expect(
                InstallPlanner.mentions("b requires util.", "util") && !InstallPlanner.mentions("utility x", "util"))
        }
    }
}
