import Annals
import AnnalsPlatform
import AnnalsResolver
import Crypto
import Foundation
import Testing

@Suite("Registry sync")
struct RegistrySyncTests {
    @Test("the real ElizaOS registry syncs every entry, and a re-sync appends nothing")
    func realRegistry() async throws {
        let registry = try ElizaRegistry.require()
        try await withPlatform { platform, _ in
            let first = try await platform.sync(RegistrySource(registry), scope: .global, actorId: "ops")
            #expect(first.format == .elizaDirectory)
            #expect(first.problems.isEmpty, "\(first.problems)")
            #expect(first.added.count == 372)
            #expect(first.events > 372)
            let sql = try #require(try platform.plugin("@elizaos/plugin-sql"))
            #expect(sql.repository?.hasPrefix("github:") == true)
            #expect(sql.latest != nil)
            #expect(sql.distTags["latest"] == sql.latest?.version)

            let head = try platform.store.head().offset
            let second = try await platform.sync(RegistrySource(registry), scope: .global, actorId: "ops")
            #expect(second.added.isEmpty && second.changed.isEmpty && second.removed.isEmpty)
            #expect(second.unchanged == 372)
            #expect(second.events == 0)
            #expect(try platform.store.head().offset == head)
        }
    }

    @Test("index.json and generated-registry.json can each be synced alone")
    func singleFiles() async throws {
        let registry = try ElizaRegistry.require()
        try await withPlatform { platform, _ in
            let index = try await platform.sync(
                RegistrySource(registry + "/index.json"), scope: .global, name: "index", actorId: "ops")
            #expect(index.format == .elizaIndex)
            #expect(index.problems.isEmpty)
            #expect(index.added.count > 300)
            let generated = try await platform.sync(
                RegistrySource(registry + "/generated-registry.json"), scope: .organization("acme"), actorId: "ops")
            #expect(generated.format == .elizaRegistry)
            #expect(generated.added.count == 372)
        }
    }

    @Test("a malformed index reports each bad entry with its name, place and field, and syncs the rest")
    func malformedIndex() async throws {
        try await withPlatform { platform, directory in
            let text = """
                {
                  "lastUpdatedAt": "2026-01-01",
                  "registry": {
                    "good-one": {"description": "Fine.", "topics": ["a"], "npm": {"v1": "1.0.0", "v1CoreRange": "^1.0.0"}},
                    "bad-topics": {"description": "x", "topics": "not-an-array"},
                    "null-entry": null,
                    "bad-version": {"npm": {"v1": 42}},
                    "unparsable-version": {"npm": {"v1": "1.0"}},
                    "trailing-comma-inside": {"description": "y", "topics": ["a", "b",],},
                    "good-two": {"description": null, "topics": null, "npm": null},
                  },
                }
                """
            let path = directory + "/generated-registry.json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let report = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            #expect(report.added == ["good-one", "good-two"])
            let problems = Dictionary(uniqueKeysWithValues: report.problems.map { ($0.entry, $0) })
            #expect(
                Set(problems.keys) == [
                    "bad-topics", "null-entry", "bad-version", "unparsable-version", "trailing-comma-inside",
                ])
            #expect(problems["bad-topics"]?.reason == "topics: expected an array of strings, found a string")
            #expect(problems["null-entry"]?.reason == "the entry: expected an object, found null")
            #expect(problems["bad-version"]?.reason == "npm.v1: expected a string or null, found a number")
            #expect(problems["unparsable-version"]?.reason.hasPrefix("npm.v1:") == true)
            #expect(problems["trailing-comma-inside"]?.reason.contains("malformed JSON") == true)
            #expect(problems["bad-topics"]?.location == "line 5, column 5")
            #expect(report.warnings.count == 2)  // the trailing commas after the last entry and after "registry"
            // The problems are recorded on the registry thing too.
            let thing = try #require(try platform.store.thing("registry:global:generated-registry"))
            #expect(thing.properties["lastSync"]?["skipped"]?.arrayValue?.count == 5)
        }
    }

    @Test("a source that is not a registry fails the sync as a whole, naming the place")
    func unreadableSource() async throws {
        try await withPlatform { platform, directory in
            let path = directory + "/broken.json"
            try "{\"a\": \"unterminated".write(toFile: path, atomically: true, encoding: .utf8)
            await #expect(throws: PlatformError.self) {
                try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            }
            do {
                _ = try await platform.sync(RegistrySource(directory + "/missing.json"), scope: .global, actorId: "ops")
                Issue.record("a missing file must fail")
            } catch {
                #expect(String(describing: error).contains("no such file"))
            }
            // A device without end is read no further than a download may bring.
            do {
                _ = try await platform.sync(RegistrySource("/dev/zero"), scope: .global, actorId: "ops")
                Issue.record("/dev/zero was synced")
            } catch {
                #expect(
                    String(describing: error).contains(
                        "the file cannot be read: larger than the limit of 67108864 bytes"), "\(error)")
            }
            // What other JSON readers would read differently is refused: text after the top-level object, and a
            // structural key given twice (they keep the last, a first-wins reader would sync another listing).
            let manifest =
                #"{"format": "annals.plugins/1", "plugins": [{"name": "x", "versions": [{"version": "1.0.0"}]}]}"#
            for (text, reason) in [
                (
                    manifest + "\n{\"b\": \"github:c/d\"}",
                    "unexpected text after the end of the top-level JSON value at line 2"
                ),
                (manifest + " ]} garbage", "unexpected text after the end"),
                (#"{"plugins": [], "format": "annals.plugins/1", "plugins": []}"#, "the key 'plugins' appears again"),
            ] {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                do {
                    _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
                    Issue.record("accepted: \(text)")
                } catch {
                    #expect(String(describing: error).contains(reason), "\(error)")
                }
            }
            #expect(try platform.store.head().offset == 0)
            // A UTF-8 byte order mark before the object is skipped.
            try Data([0xEF, 0xBB, 0xBF] + Array(manifest.utf8)).write(to: URL(fileURLWithPath: path))
            #expect(try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops").added == ["x"])
        }
    }

    @Test("a re-sync records what was changed and removed; a removed plugin is withdrawn, not deleted")
    func changesAndRemovals() async throws {
        try await withPlatform { platform, directory in
            let path = try writeManifest(["a": ["1.0.0": [:]], "b": ["1.0.0": [:]]], to: directory, name: "market")
            _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            _ = try writeManifest(
                ["a": ["1.0.0": [:], "1.1.0": [:]], "c": ["0.1.0": [:]]], to: directory, name: "market")
            let report = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            #expect(report.added == ["c"])
            #expect(report.changed == ["a"])
            #expect(report.removed == ["b"])
            #expect(try platform.plugin("a")?.releases.count == 2)
            #expect(try platform.plugin("b")?.withdrawn == true)
            #expect(try platform.plugins().map(\.name) == ["a", "c"])
            await #expect(throws: PlatformError.self) {
                try await platform.install("b", organization: "acme", actorId: "ana")
            }
        }
    }

    @Test("manifest entries are validated one by one: ranges, permissions, artifacts")
    func manifestValidation() async throws {
        try await withPlatform { platform, directory in
            let wasm = directory + "/ok.wasm"
            try Data([0, 97, 115, 109, 1, 0, 0, 0]).write(to: URL(fileURLWithPath: wasm))
            let digest = "cbf16d7ff3a5d8ad4e59f8d6c1dfe2d9d7a8bca1b1cd4b8fc4d8a6b5a2c1b0e9"
            let text = """
                {"format": "annals.plugins/1", "plugins": [
                  {"name": "bad-range", "versions": [{"version": "1.0.0", "dependencies": {"x": "^^1"}}]},
                  {"name": "bad-permission", "versions": [{"version": "1.0.0", "permissions": ["network"]}]},
                  {"name": "bad-hash", "versions": [{"version": "1.0.0", "artifact": {"path": "ok.wasm", "sha256": "\(digest)"}}]},
                  {"name": "no-file", "versions": [{"version": "1.0.0", "artifact": {"path": "gone.wasm", "sha256": "\(digest)"}}]},
                  {"name": "a-directory", "versions": [{"version": "1.0.0", "artifact": {"path": ".", "sha256": "\(digest)"}}]},
                  {"name": "endless", "versions": [{"version": "1.0.0", "artifact": {"path": "/dev/zero", "sha256": "\(digest)"}}]},
                  {"name": "huge", "versions": [{"version": "1.0.0", "artifact": {"path": "huge.wasm", "sha256": "\(digest)"}}]},
                  {"name": "no-versions", "versions": []},
                  {"versions": [{"version": "1.0.0"}]},
                  {"name": "fine", "versions": [{"version": "1.0.0", "permissions": ["kv", "secrets.read:API_KEY"]}]}
                ]}
                """
            let path = directory + "/plugins.json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            // One byte more than a download may bring, sparse: nothing is written but its size.
            try Data().write(to: URL(fileURLWithPath: directory + "/huge.wasm"))
            #expect(truncate(directory + "/huge.wasm", (64 << 20) + 1) == 0)
            let report = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            #expect(report.added == ["fine"])
            let reasons = Dictionary(uniqueKeysWithValues: report.problems.map { ($0.entry, $0.reason) })
            #expect(reasons["bad-range"]?.hasPrefix("versions[0].dependencies.x:") == true)
            #expect(reasons["bad-permission"]?.contains("invalid capability 'network'") == true)
            #expect(reasons["bad-hash"]?.contains("has SHA-256") == true)
            #expect(reasons["no-file"]?.hasSuffix("no file at \(directory)/gone.wasm") == true, "\(reasons)")
            #expect(
                reasons["a-directory"]?.hasSuffix("cannot read \(directory)/.: Is a directory") == true, "\(reasons)")
            // A device is no module (it may never end); a file is read no further than a download may bring.
            #expect(reasons["endless"]?.hasSuffix("/dev/zero is not a regular file") == true, "\(reasons)")
            #expect(
                reasons["huge"]?.hasSuffix(
                    "cannot read \(directory)/huge.wasm: larger than the limit of 67108864 bytes") == true,
                "\(reasons)")
            #expect(reasons["no-versions"] == "versions: at least one version is needed")
            #expect(reasons["#9"] == "name: missing, or not a string")
        }
    }

    @Test("an entry too large for one event is skipped with a problem; the rest syncs, and its old record stays")
    func oversizedEntry() async throws {
        try await withPlatform { platform, directory in
            func manifest(description: String) throws -> String {
                let plugins: JSONValue = [
                    ["name": "big", "description": .string(description), "versions": [["version": "1.0.0"]]],
                    ["name": "ok", "versions": [["version": "1.0.0"]]],
                ]
                let path = directory + "/plugins.json"
                try Data(JSONValue.object(["format": "annals.plugins/1", "plugins": plugins]).canonicalBytes)
                    .write(to: URL(fileURLWithPath: path))
                return path
            }
            let first = try await platform.sync(
                RegistrySource(try manifest(description: "small")), scope: .global, name: "reg", actorId: "ops")
            #expect(first.added == ["big", "ok"])
            let report = try await platform.sync(
                RegistrySource(try manifest(description: String(repeating: "x", count: 2_000_000))), scope: .global,
                name: "reg", actorId: "ops")
            let problem = try #require(report.problems.first { $0.entry == "big" }, "\(report.problems)")
            #expect(problem.reason.contains("bytes once stored") && problem.reason.hasSuffix("skipped"))
            #expect(report.removed.isEmpty, "the skipped entry is not withdrawn")
            #expect(try platform.plugin("big")?.description == "small")
        }
    }

    @Test(
        "a published version is immutable: a re-sync that swaps its module or permissions keeps the one synced before")
    func publishedVersionsAreImmutable() async throws {
        try await withPlatform { platform, directory in
            func module(_ name: String, _ bytes: [UInt8]) throws -> String {
                try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
                return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            }
            let header: [UInt8] = [0, 97, 115, 109, 1, 0, 0, 0]
            let original = try module("echo-a.wasm", header)
            // The same module with an empty custom section: other code, another digest.
            let swapped = try module("echo-b.wasm", header + [0, 2, 1, 120])
            func manifest(_ file: String, _ digest: String, permissions: String) throws -> String {
                let text = """
                    {"format": "annals.plugins/1", "plugins": [{"name": "echo", "versions": [
                      {"version": "1.0.0", "permissions": \(permissions), "artifact": {"path": "\(file)", "sha256": "\(digest)"}}]}]}
                    """
                let path = directory + "/plugins.json"
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
            _ = try await platform.sync(
                RegistrySource(try manifest("echo-a.wasm", original, permissions: "[]")), scope: .global, actorId: "ops"
            )
            let report = try await platform.sync(
                RegistrySource(try manifest("echo-b.wasm", swapped, permissions: #"["kv"]"#)), scope: .global,
                actorId: "ops")
            let problem = try #require(report.problems.first, "\(report)")
            #expect(problem.entry == "echo")
            #expect(problem.reason.contains("version 1.0.0 changes its module's SHA-256 (\(original) → \(swapped))"))
            #expect(
                problem.reason.contains("its permissions") && problem.reason.contains("the one synced before is kept"))
            let release = try #require(try platform.plugin("echo")?.release(SemanticVersion(1, 0, 0)))
            #expect(release.artifact?.sha256 == original && release.artifact?.path.hasSuffix("echo-a.wasm") == true)
            #expect(release.permissions.isEmpty)
            // The module moved, unchanged: taken.
            let moved = try module("echo-c.wasm", header)
            let again = try await platform.sync(
                RegistrySource(try manifest("echo-c.wasm", moved, permissions: "[]")), scope: .global, actorId: "ops")
            #expect(again.problems.isEmpty, "\(again.problems)")
            #expect(
                try platform.plugin("echo")?.release(SemanticVersion(1, 0, 0))?.artifact?.path.hasSuffix("echo-c.wasm")
                    == true)
        }
    }
}

@Suite("Registry default names")
struct RegistryDefaultNameTests {
    @Test("a default name derived from a non-ASCII file name is refused, suggesting --name, so two never merge")
    func nonASCIIFileName() async throws {
        #expect(RegistrySource("/tmp/my registry.v2.json").defaultName == "my-registry-v2")
        #expect(RegistrySource("/tmp/régistry.json").defaultName == "régistry")
        #expect(RegistrySource("https://example.com/plugins/rêgistry.json").defaultName == "rêgistry")
        try await withPlatform { platform, directory in
            let path = try writeManifest(["a": ["1.0.0": [:]]], to: directory, name: "régistry")
            await #expect {
                try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            } throws: { error in
                guard case PlatformError.invalidArgument(let message) = error else { return false }
                return message.contains("registry name 'régistry' must be") && message.contains("--name")
            }
            let report = try await platform.sync(RegistrySource(path), scope: .global, name: "registry", actorId: "ops")
            #expect(report.registry == "registry")
        }
    }

    @Test("an invalid name given with --name is refused without suggesting --name")
    func invalidGivenName() async throws {
        try await withPlatform { platform, directory in
            let path = try writeManifest(["a": ["1.0.0": [:]]], to: directory)
            await #expect {
                try await platform.sync(RegistrySource(path), scope: .global, name: "régistry", actorId: "ops")
            } throws: { error in
                guard case PlatformError.invalidArgument(let message) = error else { return false }
                return message.contains("registry name 'régistry' must be") && !message.contains("--name")
            }
        }
    }
}
