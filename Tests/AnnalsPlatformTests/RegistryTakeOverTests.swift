import Annals
import AnnalsPlatform
import Foundation
import Testing

/// A registry may list a plugin another registry of the same scope withdrew: it takes the plugin over, and the graph
/// then shows it, not the other one, as the registry that `provides` the plugin.
@Suite("Registry take-over of a withdrawn plugin")
struct RegistryTakeOverTests {
    /// Registry alpha lists p and q, then withdraws p; registry beta then lists p. p's one `provides` connection is
    /// beta's, and a re-sync of beta appends nothing.
    @Test func theTakingRegistryProvidesThePlugin() async throws {
        try await withPlatform { platform, directory in
            let alpha = directory + "/alpha.json"
            let beta = directory + "/beta.json"
            try #"{"p": "github:x/p", "q": "github:x/q"}"#.write(toFile: alpha, atomically: true, encoding: .utf8)
            _ = try await platform.sync(RegistrySource(alpha), scope: .global, actorId: "ops")
            try #"{"q": "github:x/q"}"#.write(toFile: alpha, atomically: true, encoding: .utf8)
            #expect(try await platform.sync(RegistrySource(alpha), scope: .global, actorId: "ops").removed == ["p"])
            try #"{"p": "github:y/p"}"#.write(toFile: beta, atomically: true, encoding: .utf8)
            let taken = try await platform.sync(RegistrySource(beta), scope: .global, actorId: "ops")
            #expect(taken.added == ["p"] && taken.problems.isEmpty, "\(taken)")

            let pluginId = PlatformIDs.plugin("p", in: .global)
            let providers = try platform.store.connections(
                ConnectionFilter(toId: pluginId, connectionType: PlatformIDs.provides))
            #expect(providers.map(\.fromId) == [PlatformIDs.registry("beta", in: .global)])
            let again = try await platform.sync(RegistrySource(beta), scope: .global, actorId: "ops")
            #expect(again.events == 0 && again.unchanged == 1, "\(again)")
        }
    }
}
