import Annals
import AnnalsPlatform
import Foundation
import Testing

/// A re-sync compares a plugin's search text with its own knowledge item (`about:PLUGIN-ID`), read by its id: other
/// knowledge attached to the plugin's thing never passes for it.
@Suite("Registry re-syncs beside other knowledge about a plugin")
struct RegistryResyncKnowledgeTests {
    /// A note whose id sorts before `about:…`, attached to the plugin: the second sync of the same index still
    /// appends nothing and reports the plugin unchanged, and the note is left alone.
    @Test func aNoteAboutAPluginLeavesItsResyncIdempotent() async throws {
        try await withPlatform { platform, directory in
            let path = directory + "/index.json"
            try #"{"a": "github:x/a"}"#.write(toFile: path, atomically: true, encoding: .utf8)
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            let pluginId = PlatformIDs.plugin("a", in: .global)
            _ = try await platform.store.append(
                NewEvent(
                    type: OntologyEventType.knowledgeAdded, actorId: "ops", targetId: "5c0f-note",
                    groupId: PluginScope.globalGroup,
                    metadata: ["thingId": .string(pluginId), "text": "A note about a.", "labels": []]))
            let head = try platform.store.head().offset
            let report = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            #expect(report.changed.isEmpty && report.added.isEmpty, "\(report)")
            #expect(report.unchanged == 1)
            #expect(report.events == 0)
            #expect(try platform.store.head().offset == head)
            let items = try platform.store.knowledge(KnowledgeFilter(thingId: pluginId))
            #expect(Set(items.map(\.id)) == ["5c0f-note", PlatformIDs.knowledge(about: pluginId)])
        }
    }
}
