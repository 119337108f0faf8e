import Annals
import AnnalsSandbox
import Crypto
import Foundation
import Synchronization

/// Runs installed plugins: their actions on demand, as async jobs, and as handlers of the events they subscribe
/// to, each execution sandboxed (WebAssembly in WasmKit, with fuel, memory, time and output limits and only the
/// capabilities granted to the install) and audited (docs/PLUGINS.md, "Audit trail").
///
/// Every execution appends `plugin_action_initiated` before it runs and exactly one outcome after it:
/// `plugin_action_executed`, `plugin_action_failed` (with the failure kind) or, when the host died in between,
/// `plugin_action_abandoned`, recorded by ``recoverAbandoned(actorId:)`` at the next start. No execution is
/// silent.
///
/// ```swift
/// let runtime = PluginRuntime(store: store, secrets: StaticSecrets(["acme": ["PRICE_API_KEY": "…"]]))
/// _ = try runtime.recoverAbandoned(actorId: "host")
/// let outcome = try await runtime.run("price-feed", action: "quote", organization: "acme",
///                                      input: #"{"symbol":"BTC"}"#, actorId: "ana")
/// ```
public final class PluginRuntime: Sendable {
    /// The store.
    public let store: EventStore
    /// Where secrets come from.
    public let secrets: any SecretStore
    /// How executions are isolated (in process, or in worker processes).
    public let sandbox: Sandbox
    /// The limits of an execution unless a call gives others.
    public let defaultLimits: SandboxLimits
    /// How many async jobs of one organization may run at once, counting those of every process on the store (each
    /// holds one of the organization's slot locks, `<store>/job-slots/HEX-N.lock`, while it runs: docs/PLUGINS.md,
    /// "Async jobs"). Synchronous runs and event deliveries take no slot.
    public let jobConcurrency: Int
    /// How many plugin appends deep an event may be: every event appended through `events_append` records its depth
    /// in `metadata.plugin.depth` (one more than the depth of the event that triggered the execution, 1 when no
    /// event did), and an append whose event would be deeper is refused, so plugins that feed each other events stop
    /// after this many hops (docs/PLUGINS.md, "Event-driven plugins").
    public let cascadeLimit: Int

    /// What one execution may write through its host functions, and how large a plugin's key/value state may grow.
    public let writeLimits: PluginWriteLimits

    /// The default ``cascadeLimit``: 8.
    public static let defaultCascadeLimit = 8

    /// The default ``jobConcurrency``: 4.
    public static let defaultJobConcurrency = 4

    /// This machine's host name, as executions record it (looked up once: it is asked for on every execution).
    static let hostName = ProcessInfo.processInfo.hostName

    /// The outcome of checking each artifact, by SHA-256 and the memory its executions may use (the initial memory
    /// a module may declare): a module, or why it is refused (checked once for each: a module that fails the check is
    /// not checked again on every dispatch pass).
    private let modules = Mutex<[CheckedModuleKey: Result<PluginModule, PluginModuleError>]>([:])
    /// The artifact files whose SHA-256 was checked, by path: the file found there then, and its digest.
    private let checkedArtifacts = Mutex<[String: (file: ArtifactFileIdentity, sha256: String)]>([:])
    let jobs = Mutex<JobTable>(JobTable())

    /// A runtime over `store`.
    /// - Parameters:
    ///   - secrets: The secrets plugins may read (with the `secrets.read:NAME` permission).
    ///   - isolation: `.inProcess` (fastest) or `.workerProcesses(…)` (a crash inside the runtime cannot take the
    ///     host down; see docs/PLUGINS.md, "Process isolation").
    ///   - limits: The default per-execution limits.
    ///   - jobConcurrency: How many async jobs of one organization run at once, in all the processes on the store
    ///     (at least 1; default ``defaultJobConcurrency``).
    ///   - cascadeLimit: How many plugin appends deep an event may be (at least 1; default
    ///     ``defaultCascadeLimit``): an `events_append` by an execution triggered by an event this deep is refused.
    ///   - writeLimits: What one execution may write, and how large a plugin's key/value state may grow.
    public init(
        store: EventStore, secrets: any SecretStore = StaticSecrets(), isolation: ExecutionIsolation = .inProcess,
        limits: SandboxLimits = SandboxLimits(), jobConcurrency: Int = PluginRuntime.defaultJobConcurrency,
        cascadeLimit: Int = PluginRuntime.defaultCascadeLimit, writeLimits: PluginWriteLimits = PluginWriteLimits()
    ) {
        self.store = store
        self.secrets = secrets
        self.sandbox = Sandbox(isolation: isolation)
        self.defaultLimits = limits
        self.jobConcurrency = max(1, jobConcurrency)
        self.cascadeLimit = max(1, cascadeLimit)
        self.writeLimits = writeLimits
    }

    /// The module of an install's version, loaded once and checked against the registry's SHA-256, and against
    /// `executionLimits`, the limits the execution will run with (``PluginModuleLimits/init(executionLimits:)``: a
    /// module may start with as much memory as they allow). A refused module's error is remembered too: the same
    /// artifact is not checked again under the same memory limit. The release's own artifact file must be there,
    /// unchanged since it was checked (``ArtifactFileIdentity``), whatever other release of the same content was
    /// loaded: a missing or replaced file is refused (or checked again) as it would be in a new process.
    func module(
        for release: PluginRelease, plugin: String, executionLimits: SandboxLimits
    ) throws(PlatformError) -> PluginModule {
        guard let artifact = release.artifact else {
            throw .moduleRefused(
                plugin: plugin, version: release.version.description, reason: "no WebAssembly artifact in its registry")
        }
        let identity = ArtifactFileIdentity(path: artifact.path)
        let key = CheckedModuleKey(sha256: artifact.sha256, maxMemoryPages: executionLimits.maxMemoryPages)
        let checkedBefore = checkedArtifacts.withLock { $0[artifact.path] }
        if identity != nil, checkedBefore?.file == identity, checkedBefore?.sha256 == artifact.sha256,
            let cached = modules.withLock({ $0[key] })
        {
            return try Self.module(cached, plugin: plugin, release: release)
        }
        let limits = PluginModuleLimits(executionLimits: executionLimits)
        // Read no further than a module may be: a file replaced by a larger one is refused without holding it in
        // memory, and one replaced by a device or FIFO is refused unread.
        let read = FileChunks.contents(of: artifact.path, atMost: limits.maxModuleBytes, regularFileOnly: true)
        guard let file = identity, case .success(let bytes) = read else {
            let reason: String
            switch read {
            case .failure(let error) where error.isTooLarge:
                reason = "its artifact at \(artifact.path) is \(error) for a module"
            case .failure(let error) where error.isNotRegularFile:
                reason = "its artifact at \(artifact.path) is not a regular file"
            case .failure(let error) where error.code != ENOENT && identity != nil:
                reason = "its artifact at \(artifact.path) cannot be read: \(error)"
            default: reason = "its artifact is missing: \(artifact.path)"
            }
            throw .moduleRefused(plugin: plugin, version: release.version.description, reason: reason)
        }
        let digest = SHA256.hash(data: bytes).hexadecimal
        guard digest == artifact.sha256 else {
            throw .moduleRefused(
                plugin: plugin, version: release.version.description,
                reason: "its artifact at \(artifact.path) has SHA-256 \(digest), not the registry's "
                    + "\(artifact.sha256): refusing to run it")
        }
        checkedArtifacts.withLock { $0[artifact.path] = (file, digest) }
        if let cached = modules.withLock({ $0[key] }) {
            return try Self.module(cached, plugin: plugin, release: release)
        }
        let checked: Result<PluginModule, PluginModuleError>
        do {
            checked = .success(
                try PluginModule(bytes: bytes, limits: limits))
        } catch {
            checked = .failure(error)
        }
        modules.withLock { $0[key] = checked }
        return try Self.module(checked, plugin: plugin, release: release)
    }

    private static func module(
        _ checked: Result<PluginModule, PluginModuleError>, plugin: String, release: PluginRelease
    ) throws(PlatformError) -> PluginModule {
        switch checked {
        case .success(let module): return module
        case .failure(let error):
            throw .moduleRefused(plugin: plugin, version: release.version.description, reason: "\(error)")
        }
    }

    /// The install of `name` in `organization` and its release, or a not-found error.
    func installed(_ name: String, organization: String) throws(PlatformError) -> (PluginInstall, PluginRelease) {
        let org = try PluginScope.checkedOrganization(organization)
        return try PluginPlatform(store: store).view { view throws -> (PluginInstall, PluginRelease) in
            guard let thing = try view.thing(PlatformIDs.install(name, organization: org)),
                let install = PluginInstall(thing)
            else {
                let installed = try PluginInstall.names(in: org, view)
                throw PlatformError.notFound(
                    "'\(name)' is not installed in \(org)" + PluginNameSuggestion.hint(for: name, among: installed))
            }
            let pluginId = PlatformIDs.plugin(name, in: install.source)
            guard let plugin = try view.thing(pluginId).flatMap(Plugin.init),
                let release = plugin.release(install.version)
            else { throw PlatformError.notFound("the registry no longer has \(name)@\(install.version)") }
            return (install, release)
        }
    }
}

/// What the check of a module depends on: its artifact's SHA-256, and the memory its executions may use (the most
/// initial memory it may declare, ``PluginModuleLimits/maxMemoryPages``), since a job may run with more or less than
/// the runtime's ``PluginRuntime/defaultLimits``.
struct CheckedModuleKey: Hashable {
    /// The artifact's SHA-256, in hex.
    var sha256: String
    /// The memory limit of the executions it was checked for, in 64 KiB pages.
    var maxMemoryPages: Int
}
