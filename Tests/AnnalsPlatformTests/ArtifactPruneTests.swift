import Annals
import AnnalsTestSupport
import Foundation
import Testing

@testable import AnnalsPlatform

/// `pruneArtifacts` removes the cached modules no plugin event of the log records, and the leftovers of interrupted
/// downloads; it keeps everything that could still run or be rolled back to, by `plugin rollback` or `annals rollback`.
@Suite("Artifact cache prune")
struct ArtifactPruneTests {
    /// Three modules, each returning its number, and their digests.
    static let modules = (1...3).map { ServedArtifacts.module(returning: "{\"v\":\($0)}") }
    static let digests = modules.map(PluginRuntimeTestDigest.sha256)

    /// The `index`th module's entry for `version`, served as `modules/INDEX.wasm`.
    static func version(
        _ version: String, module index: Int, dependencies: [String: String] = [:]
    ) -> ServedArtifacts.Version {
        ServedArtifacts.Version(version, "modules/\(index).wasm", digests[index], dependencies: dependencies)
    }

    /// Serves the three modules; `body` gets the platform, the fixture's directory and a function that syncs a
    /// manifest of the plugins given as the registry `mirror`.
    func withServedModules(
        _ body: (PluginPlatform, String, (KeyValuePairs<String, [ServedArtifacts.Version]>) async throws -> SyncReport)
            async throws -> Void
    ) async throws {
        try await withPlatform { platform, directory in
            let modules = Dictionary(uniqueKeysWithValues: Self.modules.enumerated().map { ("\($0).wasm", $1) })
            try await ServedArtifacts.serve(directory, modules: modules, manifest: { _ in [:] }) { base in
                try await body(platform, directory) { plugins in
                    let listing = ServedArtifacts.manifest(plugins)
                    try Data(listing.canonicalBytes).write(to: URL(fileURLWithPath: directory + "/served/listing.json"))
                    let source = RegistrySource(base + "/listing.json")
                    let report = try await platform.sync(source, scope: .global, name: "mirror", actorId: "ops")
                    #expect(report.problems.isEmpty, "\(report.problems)")
                    return report
                }
            }
        }
    }

    /// The cached module of the `index`th module.
    func cached(_ platform: PluginPlatform, _ index: Int) -> String {
        platform.store.path + "/artifacts/\(Self.digests[index]).wasm"
    }

    /// The report's file for the `index`th module.
    func file(_ report: ArtifactPruneReport, _ index: Int) throws -> ArtifactCacheFile {
        try #require(report.files.first { $0.name == "\(Self.digests[index]).wasm" })
    }

    /// Writes the `index`th module into the cache as a sync whose append failed leaves it: cached, recorded by no
    /// event.
    func cacheUnrecorded(_ platform: PluginPlatform, _ index: Int) throws {
        try FileManager.default.createDirectory(
            atPath: platform.store.path + "/artifacts", withIntermediateDirectories: true)
        try Data(Self.modules[index]).write(to: URL(fileURLWithPath: cached(platform, index)))
    }

    @Test("a module no event of the log records is removed; a referenced one is kept, saying by what")
    func unrecordedRemovedReferencedKept() async throws {
        try await withServedModules { platform, _, sync in
            _ = try await sync(["remote": [Self.version("1.0.0", module: 0)]])
            try cacheUnrecorded(platform, 1)
            let report = try platform.pruneArtifacts()
            #expect(report.files.map(\.kind) == [.module, .module])
            let unrecorded = try file(report, 1)
            #expect(unrecorded.action == .removed && unrecorded.references.isEmpty)
            #expect(unrecorded.reason == "no plugin event of the log records it")
            #expect(unrecorded.bytes == Self.modules[1].count)
            let listed = try file(report, 0)
            #expect(listed.action == .kept && listed.references == ["registry global/remote@1.0.0"])
            #expect(listed.reason == "a synced release references it")
            #expect(!FileManager.default.fileExists(atPath: cached(platform, 1)))
            #expect(FileManager.default.fileExists(atPath: cached(platform, 0)))
            #expect(report.failedRemovals.isEmpty)
            #expect(report.json["removed"] == 1 && report.json["kept"] == 1 && report.json["dryRun"] == false)
            #expect(report.json["removedBytes"] == .integer(Self.modules[1].count))
            // A second prune finds nothing more; listed, the module is downloaded again.
            #expect(try platform.pruneArtifacts().files.map(\.action) == [.kept])
            _ = try await sync(["remote": [Self.version("1.0.0", module: 0), Self.version("1.1.0", module: 1)]])
            #expect(FileManager.default.fileExists(atPath: cached(platform, 1)))
        }
    }

    @Test(
        "a module of a version a sync dropped is kept: an annals rollback to before that sync restores a runnable one")
    func engineRollbackRestoresARunnableRelease() async throws {
        try await withServedModules { platform, directory, sync in
            _ = try await sync(["remote": [Self.version("1.0.0", module: 0), Self.version("1.1.0", module: 1)]])
            _ = try await platform.install("remote", range: "1.0.0", organization: "acme", actorId: "ana")
            let beforeTheDrop = try platform.store.head().offset
            // 1.1.0 is no longer listed (nor served) and nobody installed it: the sync drops it.
            try FileManager.default.removeItem(atPath: directory + "/served/modules/1.wasm")
            _ = try await sync(["remote": [Self.version("1.0.0", module: 0)]])
            let report = try platform.pruneArtifacts()
            let dropped = try file(report, 1)
            #expect(dropped.action == .kept && dropped.references == ["history global/remote@1.1.0"])
            #expect(dropped.reason == "an earlier sync recorded it: an annals rollback may restore its release")
            #expect(FileManager.default.fileExists(atPath: cached(platform, 1)))

            // The engine's rollback brings the registry back to before the drop; acme updates to 1.1.0, which runs
            // from the module kept, though no registry lists it any more.
            _ = try await platform.store.rollback(to: beforeTheDrop, actorId: "ops")
            #expect(try platform.plugin("remote")?.releases.map(\.version.description) == ["1.0.0", "1.1.0"])
            _ = try await platform.update("remote", organization: "acme", actorId: "ana")
            let outcome = try await PluginRuntime(store: platform.store).run(
                "remote", action: "run", organization: "acme", input: "{}", actorId: "ana")
            #expect(outcome.failure == nil, "\(String(describing: outcome.failure))")
            #expect(try JSONParser.parse(try #require(outcome.output))["v"] == 2)
        }
    }

    @Test("--dry-run says what would be removed and removes nothing")
    func dryRunRemovesNothing() async throws {
        try await withServedModules { platform, _, sync in
            _ = try await sync(["remote": [Self.version("1.0.0", module: 0)]])
            try cacheUnrecorded(platform, 1)
            let report = try platform.pruneArtifacts(dryRun: true)
            #expect(try file(report, 1).action == .wouldRemove && file(report, 0).action == .kept)
            #expect(report.json["dryRun"] == true && report.json["removed"] == 1)
            #expect(FileManager.default.fileExists(atPath: cached(platform, 0)))
            #expect(FileManager.default.fileExists(atPath: cached(platform, 1)))
        }
    }

    @Test("a module only an install's history has is kept, and serves a rollback once the registry lists it again")
    func rollbackHistoryKeepsItsModule() async throws {
        try await withServedModules { platform, directory, sync in
            _ = try await sync(["remote": [Self.version("1.0.0", module: 0), Self.version("1.1.0", module: 1)]])
            _ = try await platform.install("remote", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.update("remote", organization: "acme", actorId: "ana")
            // acme is at 1.1.0 now, so the sync drops 1.0.0: only acme's history still has it.
            _ = try await sync(["remote": [Self.version("1.1.0", module: 1)]])
            let report = try platform.pruneArtifacts()
            let past = try file(report, 0)
            #expect(
                past.action == .kept
                    && past.references == ["history global/remote@1.0.0", "rollback acme/remote@1.0.0"])
            #expect(past.reason == "an install had its version: a plugin rollback may return to it")
            let now = try file(report, 1)
            #expect(now.references == ["install acme/remote@1.1.0", "registry global/remote@1.1.0"])

            // The module's URL is gone, but the registry lists 1.0.0 again: the cached copy serves it, and the
            // rollback to it runs.
            try FileManager.default.removeItem(atPath: directory + "/served/modules/0.wasm")
            _ = try await sync(["remote": [Self.version("1.0.0", module: 0), Self.version("1.1.0", module: 1)]])
            _ = try await platform.rollback("remote", organization: "acme", actorId: "ana")
            let outcome = try await PluginRuntime(store: platform.store).run(
                "remote", action: "run", organization: "acme", input: "{}", actorId: "ana")
            #expect(try JSONParser.parse(try #require(outcome.output))["v"] == 1)
        }
    }

    @Test("a module only an install an update removed had is kept, though the install is gone from the views")
    func removedInstallKeepsItsModule() async throws {
        try await withServedModules { platform, _, sync in
            _ = try await sync([
                "app": [
                    Self.version("1.0.0", module: 2, dependencies: ["lib": "^1.0.0"]), Self.version("2.0.0", module: 1),
                ],
                "lib": [Self.version("1.0.0", module: 0)],
            ])
            _ = try await platform.install("app", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.update("app", organization: "acme", actorId: "ana")
            #expect(try platform.installs(organization: "acme").map(\.name) == ["app"])
            // Nobody has lib installed any more: the sync drops its 1.0.0 for 1.1.0.
            _ = try await sync([
                "app": [
                    Self.version("1.0.0", module: 2, dependencies: ["lib": "^1.0.0"]), Self.version("2.0.0", module: 1),
                ],
                "lib": [Self.version("1.1.0", module: 1)],
            ])
            let kept = try file(try platform.pruneArtifacts(), 0)
            #expect(kept.action == .kept && kept.references == ["history global/lib@1.0.0", "rollback acme/lib@1.0.0"])
        }
    }

    @Test("a temporary file older than an hour is removed, a younger one and foreign files are left alone")
    func staleTemporaryFiles() async throws {
        try await withPlatform { platform, _ in
            let directory = platform.store.path + "/artifacts"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let stale = ".\(Self.digests[0]).\(UUID().uuidString).tmp"
            let fresh = ".\(Self.digests[1]).\(UUID().uuidString).tmp"
            for name in [stale, fresh, "notes.txt"] {
                try Data(Self.modules[0]).write(to: URL(fileURLWithPath: directory + "/" + name))
            }
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: -2 * 3600)], ofItemAtPath: directory + "/" + stale)
            let report = try platform.pruneArtifacts()
            let byName = Dictionary(uniqueKeysWithValues: report.files.map { ($0.name, $0) })
            #expect(byName[stale]?.action == .removed && byName[stale]?.kind == .temporary)
            #expect(byName[stale]?.reason == "left by an interrupted download (older than 60 minutes)")
            #expect(byName[fresh]?.action == .kept && byName[fresh]?.kind == .temporary)
            #expect(byName["notes.txt"]?.action == .kept && byName["notes.txt"]?.kind == .other)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
                    == [fresh, ArtifactCacheLock.fileName, "notes.txt"].sorted())
        }
    }

    @Test("without a cache there is nothing to prune, and none is created")
    func noCache() async throws {
        try await withPlatform { platform, _ in
            let report = try platform.pruneArtifacts()
            #expect(report.files.isEmpty && report.json["removed"] == 0)
            #expect(!FileManager.default.fileExists(atPath: platform.store.path + "/artifacts"))
        }
    }

    @Test("a prune waits for a sync that holds the cache, so it never removes a module about to be recorded")
    func pruneWaitsForASync() async throws {
        try await withPlatform { platform, _ in
            let directory = platform.store.path + "/artifacts"
            let syncing = try ArtifactCacheLock(directory: directory, exclusive: false)
            // The prune blocks in flock(2): on a thread of its own, not one of the cooperative pool's, which the other
            // tests running at once may all be using (a blocked task there could wait for this one to release it).
            let finished = FinishedFlag()
            let outcome = PruneOutcome()
            let done = DispatchSemaphore(value: 0)
            Thread {
                // Written before the signal, read after the wait.
                outcome.result = Result { () throws(PlatformError) in try platform.pruneArtifacts() }
                finished.set()
                done.signal()
            }.start()
            usleep(300_000)
            #expect(!finished.isSet)
            syncing.unlock()
            #expect(done.wait(timeout: .now() + 30) == .success, "the prune never got the lock")
            #expect(try outcome.result?.get().files.isEmpty == true)
        }
    }
}

/// What a prune on another thread returned, set before that thread signals and read after the wait.
private final class PruneOutcome: @unchecked Sendable {
    var result: Result<ArtifactPruneReport, PlatformError>?
}

/// Whether a task has finished, read from another.
private final class FinishedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }

    func set() { lock.withLock { value = true } }
}
