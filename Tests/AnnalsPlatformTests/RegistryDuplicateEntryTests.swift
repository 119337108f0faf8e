import Annals
import AnnalsPlatform
import Foundation
import Testing

/// An entry name a source lists twice is a source error (exit 2 in the CLI), in every format: which of the two the
/// registry means cannot be told, so nothing is synced, rather than the first kept and the second skipped.
@Suite("Registry entries listed twice")
struct RegistryDuplicateEntryTests {
    /// Each format, given `foo` twice with `bar` between: refused naming `foo` and both places, nothing written.
    @Test(arguments: [
        ("index.json", #"{"foo": "github:a/old", "bar": "github:b/bar", "foo": "github:a/new"}"#, "line 1, column 48"),
        (
            "generated-registry.json",
            """
            {"registry": {
              "foo": {"description": "old"},
              "bar": {"description": "bar"},
              "foo": {"description": "new"}
            }}
            """,
            "line 4, column 3"
        ),
        (
            "plugins.json",
            """
            {"format": "annals.plugins/1", "plugins": [
              {"name": "foo", "versions": [{"version": "1.0.0"}]},
              {"name": "bar", "versions": [{"version": "1.0.0"}]},
              {"name": "foo", "versions": [{"version": "2.0.0"}]}
            ]}
            """,
            "line 4, column 3"
        ),
    ])
    func aDuplicatedEntryRefusesTheSource(file: String, text: String, at location: String) async throws {
        try await withPlatform { platform, directory in
            let path = directory + "/" + file
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            await #expect {
                try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            } throws: { error in
                let message = String(describing: error)
                return message.contains("the entry 'foo' is listed again") && message.contains("the first is at line")
                    && message.hasSuffix(" at \(location)")
            }
            #expect(try platform.store.head().offset == 0)
        }
    }

    /// A re-sync from an index that gives a synced entry twice keeps the entry as synced before.
    @Test func aDuplicatedEntryKeepsWhatWasSynced() async throws {
        try await withPlatform { platform, directory in
            let path = directory + "/index.json"
            try #"{"foo": "github:a/old", "bar": "github:b/bar"}"#
                .write(toFile: path, atomically: true, encoding: .utf8)
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            let head = try platform.store.head().offset
            try #"{"foo": "github:a/new", "bar": "github:b/bar", "foo": "github:a/newer"}"#
                .write(toFile: path, atomically: true, encoding: .utf8)
            await #expect(throws: PlatformError.self) {
                try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            }
            #expect(try platform.store.head().offset == head)
            #expect(try platform.plugin("foo")?.repository == "github:a/old")
        }
    }
}
