import Annals
import AnnalsPlatform
import AnnalsTestSupport
import Foundation
import Testing

/// A platform over a store in a fresh temporary directory (`.noSync`, synced every `syncInterval` seconds);
/// everything is removed afterwards.
func withPlatform<R>(
    syncInterval: Double = 0.1, _ body: (PluginPlatform, String) async throws -> R
) async throws -> R {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "annals-platform-\(UUID().uuidString)"
    )
    .path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = try EventStore(
        path: directory + "/store", options: StoreOptions(durability: .noSync, syncInterval: syncInterval))
    defer { store.close() }
    return try await body(PluginPlatform(store: store), directory)
}

/// The real ElizaOS registry files: `$ANNALS_ELIZAOS_REGISTRY`, else `../shared/data/elizaos-registry` beside the
/// repository, else the copy in `Tests/Fixtures/elizaos-registry`.
enum ElizaRegistry {
    static let directory = RepositoryPaths.elizaRegistry

    /// The directory, or a failed test saying where it was looked for.
    static func require() throws -> String {
        try #require(
            FileManager.default.fileExists(atPath: directory + "/generated-registry.json"),
            "the ElizaOS registry is missing at \(directory); set ANNALS_ELIZAOS_REGISTRY")
        return directory
    }
}

/// A manifest registry written to `directory/NAME.json`: plugins given as `name → [version: dependencies]`.
func writeManifest(
    _ plugins: [String: [String: [String: String]]], permissions: [String: [String: [String]]] = [:],
    actions: [String: [String: [String]]] = [:], to directory: String, name: String = "manifest"
) throws -> String {
    var entries: [JSONValue] = []
    for (plugin, versions) in plugins.sorted(by: { $0.key < $1.key }) {
        let releases: [JSONValue] = versions.sorted(by: { $0.key < $1.key }).map { version, dependencies in
            .object([
                "version": .string(version), "dependencies": .object(dependencies.mapValues(JSONValue.string)),
                "permissions": .array((permissions[plugin]?[version] ?? []).map(JSONValue.string)),
                "actions": .array((actions[plugin]?[version] ?? []).map { .object(["name": .string($0)]) }),
            ])
        }
        entries.append(
            .object([
                "name": .string(plugin), "description": .string("The \(plugin) plugin."), "versions": .array(releases),
            ]))
    }
    let path = "\(directory)/\(name).json"
    let manifest: JSONValue = .object(["format": "annals.plugins/1", "plugins": .array(entries)])
    try Data(manifest.canonicalBytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// A platform (``withPlatform(syncInterval:_:)``) with a registry of two plugins synced, where app 1.0.0 needs dep
/// ~1.0.0 and app 1.1.0 needs dep ^1.1.0, and app installed in acme at `range` (by default `^latest`).
func withAppAndDependency<R>(
    installing range: String? = nil, _ body: (PluginPlatform) async throws -> R
) async throws -> R {
    try await withPlatform { platform, directory in
        let manifest = try writeManifest(
            [
                "app": ["1.0.0": ["dep": "~1.0.0"], "1.1.0": ["dep": "^1.1.0"]],
                "dep": ["1.0.0": [:], "1.1.0": [:]],
            ], to: directory)
        _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
        _ = try await platform.install("app", range: range, organization: "acme", actorId: "ana")
        return try await body(platform)
    }
}
