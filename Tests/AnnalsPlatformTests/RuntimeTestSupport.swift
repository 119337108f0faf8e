import Annals
import AnnalsPlatform
import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

/// The example plugins' registry manifest, written by `make plugins` to `<root>/.build/plugins/registry.json`.
enum ExamplePlugins {
    static let registry = RepositoryPaths.examplePlugins + "/registry.json"

    /// The manifest's path, or a failed test that says how to build it.
    static func require() throws -> String {
        try #require(
            FileManager.default.fileExists(atPath: registry),
            "the example plugins are missing at \(registry): run `make plugins`")
        return registry
    }
}

/// A platform and runtime with the example plugins synced and `plugins` installed in `acme`.
func withRuntime<R>(
    installing plugins: [String], secrets: StaticSecrets = StaticSecrets(), limits: SandboxLimits = SandboxLimits(),
    jobConcurrency: Int = 4, syncInterval: Double = 0.1,
    _ body: (PluginRuntime, PluginPlatform, String) async throws -> R
) async throws -> R {
    let registry = try ExamplePlugins.require()
    return try await withPlatform(syncInterval: syncInterval) { platform, directory in
        _ = try await platform.sync(RegistrySource(registry), scope: .global, actorId: "ops")
        for plugin in plugins { _ = try await platform.install(plugin, organization: "acme", actorId: "ana") }
        let runtime = PluginRuntime(
            store: platform.store, secrets: secrets, limits: limits, jobConcurrency: jobConcurrency)
        return try await body(runtime, platform, directory)
    }
}

/// Every event of the store, as JSON lines.
func allEventLines(_ store: EventStore) throws -> [String] {
    try store.events().collect().map(\.jsonLine)
}

/// The events of one execution stream.
func executionEvents(_ store: EventStore, _ id: String) throws -> [RecordedEvent] {
    try store.stream("execution:\(id)").collect()
}
