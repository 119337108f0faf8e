import Annals
import AnnalsTestSupport
import Foundation

/// Plugin modules and manifests served over HTTP, for the tests of artifacts given by URL: `DIRECTORY/served` holds
/// the modules under `modules/` and the manifest as `manifest.json`.
enum ServedArtifacts {
    /// One version of a manifest entry.
    struct Version {
        var version: String
        /// The artifact's path: relative to the manifest's URL, or a URL.
        var path: String
        var sha256: String
        var dependencies: [String: String]

        init(_ version: String, _ path: String, _ sha256: String, dependencies: [String: String] = [:]) {
            self.version = version
            self.path = path
            self.sha256 = sha256
            self.dependencies = dependencies
        }
    }

    /// A module whose action `run` returns `output`: each output gives another digest.
    static func module(returning output: String) -> [UInt8] {
        var builder = WasmModuleBuilder()
        builder.dataSegments = [(offset: 0, bytes: Array(output.utf8))]
        builder.output = (0, UInt32(output.utf8.count))
        return builder.bytes
    }

    /// A manifest of `plugins`, each with its versions.
    static func manifest(_ plugins: KeyValuePairs<String, [Version]>) -> JSONValue {
        manifest(plugins.map { (name: $0.key, versions: $0.value) })
    }

    /// A manifest of `plugins`, each with its versions, in order.
    static func manifest(_ plugins: [(name: String, versions: [Version])]) -> JSONValue {
        let entries: [JSONValue] = plugins.map { name, versions in
            [
                "name": .string(name),
                "versions": .array(
                    versions.map { version in
                        [
                            "version": .string(version.version), "actions": [["name": "run"]],
                            "artifact": ["path": .string(version.path), "sha256": .string(version.sha256)],
                            "dependencies": .object(version.dependencies.mapValues(JSONValue.string)),
                        ]
                    }),
            ]
        }
        return ["format": "annals.plugins/1", "plugins": .array(entries)]
    }

    /// Writes `bytes` as `served/modules/NAME` in `directory`.
    static func write(_ bytes: [UInt8], as name: String, in directory: String) throws {
        try FileManager.default.createDirectory(
            atPath: directory + "/served/modules", withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/served/modules/" + name))
    }

    /// Serves `modules` (by file name) and `manifest` (given the server's base URL) from `directory/served` for the
    /// duration of `body`, which gets the base URL; the manifest is at `BASE/manifest.json`.
    static func serve(
        _ directory: String, modules: [String: [UInt8]], manifest: (String) -> JSONValue,
        _ body: (String) async throws -> Void
    ) async throws {
        for (name, bytes) in modules { try write(bytes, as: name, in: directory) }
        try FileManager.default.createDirectory(
            atPath: directory + "/served/modules", withIntermediateDirectories: true)
        try await withHTTPServer(serving: directory + "/served") { base in
            try Data(manifest(base).canonicalBytes).write(
                to: URL(fileURLWithPath: directory + "/served/manifest.json"))
            try await body(base)
        }
    }
}
