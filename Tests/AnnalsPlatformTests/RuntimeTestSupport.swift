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

/// A runtime over a new store with nothing installed: enough for what reads and writes only the audit trail.
func withBareRuntime<R>(_ body: (PluginRuntime) async throws -> R) async throws -> R {
    try await withPlatform { platform, _ in try await body(PluginRuntime(store: platform.store)) }
}

/// Every event of the store, as JSON lines.
func allEventLines(_ store: EventStore) throws -> [String] {
    try store.events().collect().map(\.jsonLine)
}

/// The events of one execution stream.
func executionEvents(_ store: EventStore, _ id: String) throws -> [RecordedEvent] {
    try store.stream("execution:\(id)").collect()
}

/// The `plugin_action_initiated` of execution `id` of `price-quote` in `acme`, run by process `pid` on `hostname`:
/// all that recovery of abandoned executions reads of it.
func initiatedEvent(_ id: String, pid: some BinaryInteger, hostname: String) -> NewEvent {
    NewEvent(
        type: ExecutionEventType.initiated, actorId: "ana", targetId: ExecutionEventType.stream(id), groupId: "acme",
        metadata: [
            "correlationId": .string(id), "plugin": "price-quote", "version": "1.0.0", "action": "quote",
            "host": ["pid": .integer(pid), "hostname": .string(hostname)],
        ],
        expectedVersion: 0)
}

/// A release of a plugin made of a module built in the test: its name and version, its one action, its permissions
/// and subscriptions.
struct BuiltPlugin {
    var name: String
    var version = "1.0.0"
    var module: WasmModuleBuilder
    var permissions: [String] = []
    var subscribes: [String] = []
}

/// Writes `plugins`' modules and a registry of them to `directory` (the releases of one name as its versions), syncs
/// it and installs each plugin in `acme` (its newest version).
func install(_ plugins: [BuiltPlugin], in platform: PluginPlatform, directory: String) async throws {
    var versions: [String: [JSONValue]] = [:]
    for plugin in plugins {
        let bytes = plugin.module.bytes
        let path = "\(plugin.name)-\(plugin.version).wasm"
        try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/\(path)"))
        var release: [String: JSONValue] = [
            "version": .string(plugin.version),
            "artifact": ["path": .string(path), "sha256": .string(PluginRuntimeTestDigest.sha256(bytes))],
            "actions": [["name": .string(plugin.module.action)]],
            "permissions": .array(plugin.permissions.map(JSONValue.string)),
        ]
        if !plugin.subscribes.isEmpty { release["subscribes"] = .array(plugin.subscribes.map(JSONValue.string)) }
        versions[plugin.name, default: []].append(.object(release))
    }
    let entries = versions.keys.sorted().map { name in
        JSONValue.object(["name": .string(name), "versions": .array(versions[name]!)])
    }
    let manifest: JSONValue = ["format": "annals.plugins/1", "plugins": .array(entries)]
    try Data(manifest.canonicalBytes).write(to: URL(fileURLWithPath: directory + "/built-plugins.json"))
    _ = try await platform.sync(RegistrySource(directory + "/built-plugins.json"), scope: .global, actorId: "ops")
    for name in versions.keys.sorted() { _ = try await platform.install(name, organization: "acme", actorId: "ana") }
}

/// Runs `body` with two runtimes on one store (standing for two processes) with `limits` and one slot for `acme`'s
/// jobs (`jobConcurrency` 1), given the first runtime, the other, and a running `runaway` job of the first that
/// holds the slot until it is cancelled (or its limits end it).
func withSlotHeld(limits: SandboxLimits, _ body: (PluginRuntime, PluginRuntime, JobTicket) async throws -> Void)
    async throws
{
    try await withRuntime(installing: ["runaway", "echo"], limits: limits, jobConcurrency: 1) {
        runtime, _, _ in
        let other = PluginRuntime(store: runtime.store, limits: limits, jobConcurrency: 1)
        let first = try await runtime.submit(
            "runaway", action: "run", organization: "acme", input: "{}", actorId: "ana")
        try await waitUntilRunning(runtime, first.id)
        try await body(runtime, other, first)
    }
}

/// Waits up to a minute (a loaded machine may take seconds) for job `id` of `runtime` to be running.
func waitUntilRunning(_ runtime: PluginRuntime, _ id: String) async throws {
    for _ in 0..<6_000 where try runtime.job(id)?.state != .running {
        try await Task.sleep(for: .milliseconds(10))
    }
}
