import Annals
import AnnalsPlatform
import AnnalsResolver
import Foundation
import Testing

@Suite("Plugin rollback: the organization's own requests survive a rollback of another plugin")
struct PluginRollbackRequestTests {
    /// app@1.0.0 installed with dep@1.0.0 as a mere dependency; an update of app moving dep to 1.1.0; then acme's
    /// own request for dep ^1.0.0, which 1.0.0 satisfies too.
    func withLaterRequest(_ body: (PluginPlatform) async throws -> Void) async throws {
        try await withAppAndDependency(installing: "1.0.0") { platform in
            #expect(try install(platform, "dep").requested == nil)
            _ = try await platform.update("app", organization: "acme", actorId: "ana")
            #expect(try install(platform, "dep").version.description == "1.1.0")
            _ = try await platform.install("dep", range: "^1.0.0", organization: "acme", actorId: "ana")
            try await body(platform)
        }
    }

    /// The install of `name` in acme.
    func install(_ platform: PluginPlatform, _ name: String) throws -> PluginInstall {
        try #require(try platform.installs(organization: "acme").first { $0.name == name })
    }

    @Test("a dependency the organization asked for since keeps its request when the old version satisfies it")
    func laterRequestSurvives() async throws {
        try await withLaterRequest { platform in
            #expect(try install(platform, "dep").requested?.description == "^1.0.0")

            let rollback = try await platform.rollback("app", organization: "acme", actorId: "ana")
            #expect(rollback.offset != nil)
            let app = try install(platform, "app")
            let dep = try install(platform, "dep")
            #expect(app.version.description == "1.0.0" && app.requested?.description == "1.0.0")
            #expect(dep.version.description == "1.0.0")
            #expect(dep.requested?.description == "^1.0.0", "the rollback of app dropped acme's request for dep")
            // The plan says so too: the restore it reports is the one it appended.
            let change = try #require(rollback.changes.first { $0.id == dep.thingId })
            #expect(change.target?["properties"]?["requested"]?.stringValue == "^1.0.0")
            #expect(try platform.history("dep", organization: "acme").map(\.operation).last == "rollback")
        }
    }

    @Test("a dry run reports the request kept, as the rollback appends it")
    func dryRunReportsTheKeptRequest() async throws {
        try await withLaterRequest { platform in
            let head = try platform.store.head().offset
            let dryRun = try await platform.rollback("app", organization: "acme", actorId: "ana", dryRun: true)
            #expect(dryRun.offset == nil)
            #expect(try platform.store.head().offset == head)
            let dep = try install(platform, "dep")
            let change = try #require(dryRun.changes.first { $0.id == dep.thingId })
            #expect(change.target?["properties"]?["version"]?.stringValue == "1.0.0")
            #expect(change.target?["properties"]?["requested"]?.stringValue == "^1.0.0")
        }
    }

    @Test("a covered install whose only difference is the request made since is left as it is")
    func onlyTheRequestDiffers() async throws {
        try await withAppAndDependency(installing: "1.0.0") { platform in
            let installed = try platform.store.head().offset
            _ = try await platform.install("dep", range: "^1.0.0", organization: "acme", actorId: "ana")
            let head = try platform.store.head().offset
            // app and dep (which app requires) are covered; neither has anything to restore but dep's request.
            let rollback = try await platform.rollback(
                "app", organization: "acme", to: .offset(installed), actorId: "ana")
            #expect(rollback.instances.contains(try install(platform, "dep").thingId))
            #expect(rollback.changes.isEmpty && rollback.offset == nil)
            #expect(try platform.store.head().offset == head)
            #expect(try install(platform, "dep").requested?.description == "^1.0.0")
        }
    }
}
