import Annals
import AnnalsPlatform
import Foundation
import Testing

/// A re-sync from a damaged registry never destroys what an earlier sync recorded: a skipped entry keeps its plugin,
/// and a file that is no registry at all is refused.
@Suite("Registry re-syncs from damaged sources")
struct RegistryResyncDamageTests {
    @Test("a skipped manifest entry keeps the plugin an earlier sync recorded")
    func skippedEntryIsNotWithdrawn() async throws {
        try await withPlatform { platform, directory in
            let path = try writeManifest(["a": ["1.0.0": [:]], "c": ["1.0.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            // c's second version is not semver: the entry is skipped, and c keeps its 1.0.0.
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            guard case .object(var top) = try JSONParser.parse(bytes), case .array(var entries)? = top["plugins"],
                case .object(var c)? = entries.last,
                case .array(let versions)? = c["versions"]
            else {
                Issue.record("unexpected manifest layout")
                return
            }
            c["versions"] = .array(versions + [.object(["version": "2.1"])])
            entries[entries.count - 1] = .object(c)
            top["plugins"] = .array(entries)
            try Data(JSONValue.object(top).canonicalBytes).write(to: URL(fileURLWithPath: path))
            let report = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            #expect(report.problems.map(\.entry) == ["c"], "\(report.problems)")
            #expect(report.removed.isEmpty)
            #expect(try platform.plugin("c")?.withdrawn == false)
            #expect(try platform.plugin("c")?.releases.map(\.version.description) == ["1.0.0"])
        }
    }

    @Test("an entry whose name cannot be read withdraws nothing")
    func unnamedEntryWithdrawsNothing() async throws {
        try await withPlatform { platform, directory in
            let path = directory + "/index.json"
            try #"{"a": "github:x/a", "b": "github:x/b"}"#.write(toFile: path, atomically: true, encoding: .utf8)
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            try #"{"a": "github:x/a", 7: "github:x/b"}"#.write(toFile: path, atomically: true, encoding: .utf8)
            let report = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            #expect(!report.problems.isEmpty)
            #expect(report.removed.isEmpty)
            #expect(report.warnings.contains { $0.contains("no plugin missing from the listing was withdrawn") })
            #expect(try platform.plugin("b")?.withdrawn == false)
        }
    }

    @Test("an entry malformed past its name is reported and kept under its name; an invalid name still withdraws")
    func malformedEntriesKeepTheirNames() async throws {
        try await withPlatform { platform, directory in
            let path = directory + "/plugins.json"
            func write(_ entries: [String]) throws {
                let text = #"{"format": "annals.plugins/1", "plugins": ["# + entries.joined(separator: ",") + "]}"
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            }
            let entry = { (name: String) in #"{"name": "\#(name)", "versions": [{"version": "1.0.0"}]}"# }
            try write(["tc", "dup", "gone", "ok"].map(entry))
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            try write([
                #"{"name": "tc", "versions": [{"version": "1.0.0"},]}"#,
                #"{"name": "dup", "name": "dup", "versions": [{"version": "1.0.0"}]}"#,
                #"{"name": "../etc", "versions": [{"version": "1.0.0"}]}"#, entry("ok"),
            ])
            let report = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            let reasons = Dictionary(uniqueKeysWithValues: report.problems.map { ($0.entry, $0.reason) })
            #expect(reasons["tc"]?.contains("trailing comma") == true, "\(reasons)")
            #expect(reasons["dup"]?.contains("duplicate key") == true, "\(reasons)")
            #expect(reasons["../etc"]?.hasPrefix("invalid plugin name") == true, "\(reasons)")
            // tc and dup keep what was synced before; gone, no longer listed, is withdrawn: every name was read.
            #expect(report.removed == ["gone"], "\(report)")
            #expect(!report.warnings.contains { $0.contains("withdrawn") }, "\(report.warnings)")
            #expect(try platform.plugin("tc")?.withdrawn == false && platform.plugin("dup")?.withdrawn == false)
        }
    }

    @Test("a generated-registry entry that is skipped is not replaced by its versionless index entry")
    func skippedGeneratedEntryKeepsItsVersions() async throws {
        try await withPlatform { platform, directory in
            let copy = directory + "/eliza"
            try FileManager.default.copyItem(atPath: ElizaRegistry.directory, toPath: copy)
            _ = try await platform.sync(RegistrySource(copy), scope: .global, actorId: "ops")
            let before = try #require(try platform.plugin("@elizaos/plugin-sql"))
            try #require(!before.releases.isEmpty)
            let path = copy + "/generated-registry.json"
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            guard case .object(var top) = try JSONParser.parse(bytes), case .object(var registry)? = top["registry"],
                case .object(var entry)? = registry["@elizaos/plugin-sql"], case .object(var npm)? = entry["npm"]
            else {
                Issue.record("unexpected generated-registry.json layout")
                return
            }
            npm["v1"] = .integer(1)
            entry["npm"] = .object(npm)
            registry["@elizaos/plugin-sql"] = .object(entry)
            top["registry"] = .object(registry)
            try Data(JSONValue.object(top).canonicalBytes).write(to: URL(fileURLWithPath: path))
            let report = try await platform.sync(RegistrySource(copy), scope: .global, actorId: "ops")
            #expect(report.problems.map(\.entry) == ["@elizaos/plugin-sql"], "\(report.problems)")
            #expect(
                report.problems.first?.location.hasPrefix("generated-registry.json, line ") == true, "the file is named"
            )
            #expect(!report.changed.contains("@elizaos/plugin-sql") && !report.removed.contains("@elizaos/plugin-sql"))
            #expect(try platform.plugin("@elizaos/plugin-sql")?.releases == before.releases)
        }
    }

    @Test(arguments: [
        ("[]", "the top level, at line 1, column 1, is not a JSON object"),
        (#"{"registry": []}"#, "'registry' at line 1, column 2 is not an object"),
        (#"{"format": "annals.plugins/1", "plugins": {"a": 1}}"#, "is not an array"),
    ])
    func aFileThatIsNoRegistryIsRefused(_ text: String, _ reason: String) async throws {
        try await withPlatform { platform, directory in
            let path = try writeManifest(["a": ["1.0.0": [:]]], to: directory, name: "reg")
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            try await expectResyncRefused(platform, from: path, replacedBy: text, naming: reason)
            #expect(try platform.plugin("a")?.withdrawn == false)
        }
    }

    @Test(arguments: [#"{"message": "Not Found"}"#, "{}"])
    func aSourceListingNoPluginDoesNotWithdrawTheRegistry(_ text: String) async throws {
        try await withPlatform { platform, directory in
            let path = directory + "/index.json"
            try #"{"a": "github:x/a", "b": "github:x/b"}"#.write(toFile: path, atomically: true, encoding: .utf8)
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            try await expectResyncRefused(platform, from: path, replacedBy: text, naming: "it lists no plugin")
            #expect(try platform.plugins().map(\.name) == ["a", "b"])
        }
    }

    @Test(arguments: [#"{"message": "Not Found"}"#, "{}", #"{"a": 3}"#])
    func aFirstSyncOfASourceListingNoPluginRecordsNoRegistry(_ text: String) async throws {
        try await withPlatform { platform, directory in
            let path = directory + "/nf.json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            await #expect {
                try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            } throws: { error in
                String(describing: error).contains("it lists no plugin")
                    && String(describing: error).contains("no registry to record as 'nf'")
            }
            #expect(try platform.store.head().offset == 0)
        }
    }

    @Test func aSourceWhoseEveryEntryIsSkippedNamesWhyInItsError() async throws {
        try await withPlatform { platform, directory in
            let path = directory + "/bad.json"
            let entries = (1...7).map { #""p\#($0)": \#($0)"# }.joined(separator: ", ")
            try "{\(entries)}".write(toFile: path, atomically: true, encoding: .utf8)
            await #expect {
                try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            } throws: { error in
                let message = String(describing: error)
                return message.contains("it lists no plugin (7 entries skipped)")
                    && message.contains("; nothing was written. skipped p1 (line 1, column")
                    && message.contains("skipped p5 (line 1") && !message.contains("skipped p6")
                    && message.hasSuffix("; and 2 more")
            }
            #expect(try platform.store.head().offset == 0)
        }
    }

    /// Replaces the registry file at `path` with `text` and expects its sync to fail naming `reason`, writing nothing.
    private func expectResyncRefused(
        _ platform: PluginPlatform, from path: String, replacedBy text: String, naming reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let head = try platform.store.head().offset
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        await #expect(sourceLocation: sourceLocation) {
            try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
        } throws: { error in
            String(describing: error).contains(reason)
        }
        #expect(try platform.store.head().offset == head, sourceLocation: sourceLocation)
    }
}
