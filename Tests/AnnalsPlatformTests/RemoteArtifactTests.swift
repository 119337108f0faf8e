import Annals
import AnnalsTestSupport
import Foundation
import Testing

@testable import AnnalsPlatform

/// Artifacts given by URL, and relative ones in a manifest fetched by URL, are downloaded at sync into the
/// content-addressed cache beside the store, checked against their SHA-256, and run from there; a release whose
/// module cannot be had is skipped, never failing the sync nor changing what was synced before.
@Suite("Remote artifacts")
struct RemoteArtifactTests {
    /// A module whose action returns `{}`, and its digest.
    static let module = ServedArtifacts.module(returning: "{}")
    static let digest = PluginRuntimeTestDigest.sha256(module)
    /// Another module, and its digest.
    static let second = ServedArtifacts.module(returning: #"{"v":2}"#)
    static let secondDigest = PluginRuntimeTestDigest.sha256(second)
    /// The listing of `remote` 1.0.0 (served as `modules/remote.wasm`) and 1.1.0 (`modules/second.wasm`).
    static let remoteVersions = [
        ServedArtifacts.Version("1.0.0", "modules/remote.wasm", digest),
        ServedArtifacts.Version("1.1.0", "modules/second.wasm", secondDigest),
    ]

    /// A manifest listing `remote` 1.0.0 with its artifact at `path` and SHA-256 `sha256`.
    func manifest(path: String, sha256: String = digest) -> JSONValue {
        ServedArtifacts.manifest(["remote": [ServedArtifacts.Version("1.0.0", path, sha256)]])
    }

    /// Serves the module (as `modules/remote.wasm`) and `manifest` (as `manifest.json`) from `directory/served`.
    func serve(_ directory: String, manifest: (String) -> JSONValue, _ body: (String) async throws -> Void)
        async throws
    {
        try await ServedArtifacts.serve(directory, modules: ["remote.wasm": Self.module], manifest: manifest, body)
    }

    /// Checks that `remote` is recorded at its cached copy and runs from there.
    func expectCachedAndRunnable(_ platform: PluginPlatform) async throws {
        let cached = platform.store.path + "/artifacts/\(Self.digest).wasm"
        let artifact = try #require(try platform.plugin("remote")?.releases.first?.artifact)
        #expect(artifact.path == cached)
        #expect(FileManager.default.contents(atPath: cached).map { [UInt8]($0) } == Self.module)
        _ = try await platform.install("remote", organization: "acme", actorId: "ana")
        let outcome = try await PluginRuntime(store: platform.store).run(
            "remote", action: "run", organization: "acme", input: "{}", actorId: "ana")
        #expect(outcome.failure == nil)
    }

    @Test("an http artifact in a local manifest is downloaded into the cache and runs")
    func urlArtifact() async throws {
        try await withPlatform { platform, directory in
            try await serve(directory, manifest: { _ in [:] }) { base in
                let path = directory + "/local.json"
                let local = manifest(path: base + "/modules/remote.wasm")
                try Data(local.canonicalBytes).write(to: URL(fileURLWithPath: path))
                _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
                try await expectCachedAndRunnable(platform)
                // A second sync finds the module cached and records the same path.
                _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
                let again = try platform.plugin("remote")?.releases.first?.artifact?.path
                #expect(again == platform.store.path + "/artifacts/\(Self.digest).wasm")
            }
        }
    }

    @Test("a relative artifact path in a manifest fetched by URL resolves against the manifest's URL")
    func relativeArtifactOfURLManifest() async throws {
        try await withPlatform { platform, directory in
            try await serve(directory, manifest: { _ in manifest(path: "modules/remote.wasm") }) { base in
                _ = try await platform.sync(RegistrySource(base + "/manifest.json"), scope: .global, actorId: "ops")
                try await expectCachedAndRunnable(platform)
            }
        }
    }

    @Test("a manifest fetched by URL may not name a local file as a module")
    func localFileOfURLManifestIsRefused() async throws {
        try await withPlatform { platform, directory in
            let local = directory + "/here.wasm"
            try Data(Self.module).write(to: URL(fileURLWithPath: local))
            try await serve(directory, manifest: { _ in manifest(path: local) }) { base in
                await #expect {
                    try await platform.sync(RegistrySource(base + "/manifest.json"), scope: .global, actorId: "ops")
                } throws: { error in
                    String(describing: error).contains(
                        "versions[0].artifact.path: a registry read from a URL may not name a local file (\(local))")
                }
            }
            #expect(try platform.plugin("remote") == nil)
        }
    }

    @Test("a release whose module cannot be had is skipped with why; the rest syncs, and a later sync adds it")
    func unavailableReleasesAreSkipped() async throws {
        let third = ServedArtifacts.module(returning: #"{"v":3}"#)
        let thirdDigest = PluginRuntimeTestDigest.sha256(third)
        // remote 1.1.0 is not served yet (404); other's only module is served with other bytes than its entry's.
        let listing = ServedArtifacts.manifest([
            "remote": Self.remoteVersions, "other": [.init("1.0.0", "modules/third.wasm", thirdDigest)],
        ])
        try await withPlatform { platform, directory in
            try await serve(directory, manifest: { _ in listing }) { base in
                try ServedArtifacts.write(Self.module, as: "third.wasm", in: directory)
                let source = RegistrySource(base + "/manifest.json")
                let report = try await platform.sync(source, scope: .global, actorId: "ops")
                #expect(report.added == ["remote"])
                #expect(report.problems.map(\.entry).sorted() == ["other", "remote"])
                let missing = try #require(report.problems.first { $0.entry == "remote" }).reason
                #expect(missing.hasPrefix("version 1.1.0 is left out: its artifact at \(base)/modules/second.wasm"))
                #expect(missing.contains("cannot be downloaded: HTTP status 404"))
                let refused = try #require(report.problems.first { $0.entry == "other" }).reason
                #expect(refused.hasPrefix("version 1.0.0 is left out: its artifact at \(base)/modules/third.wasm"))
                #expect(refused.contains("has SHA-256 \(Self.digest), but its entry gives \(thirdDigest)"))
                #expect(refused.hasSuffix("no version of other is left, so its entry is skipped"))
                let remote = try #require(try platform.plugin("remote"))
                #expect(remote.releases.map(\.version.description) == ["1.0.0"])
                #expect(remote.distTags["latest"]?.description == "1.0.0")
                #expect(try platform.plugin("other") == nil)
                let artifacts = platform.store.path + "/artifacts"
                let modules = try FileManager.default.contentsOfDirectory(atPath: artifacts).filter {
                    $0.hasSuffix(".wasm")
                }
                #expect(modules == ["\(Self.digest).wasm"])

                try ServedArtifacts.write(Self.second, as: "second.wasm", in: directory)
                try ServedArtifacts.write(third, as: "third.wasm", in: directory)
                let again = try await platform.sync(source, scope: .global, actorId: "ops")
                #expect(again.problems.isEmpty)
                #expect(again.added == ["other"] && again.changed == ["remote"])
                let updated = try #require(try platform.plugin("remote"))
                #expect(updated.releases.map(\.version.description) == ["1.0.0", "1.1.0"])
                #expect(updated.distTags["latest"]?.description == "1.1.0")
                #expect(updated.releases.last?.artifact?.path == "\(artifacts)/\(Self.secondDigest).wasm")
                let other = try platform.plugin("other")?.releases.first?.artifact?.path
                #expect(other == "\(artifacts)/\(thirdDigest).wasm")
            }
        }
    }

    @Test("a source whose every module fails to download is still a registry: synced with every release skipped")
    func everyReleaseUnavailable() async throws {
        try await withPlatform { platform, directory in
            try await serve(directory, manifest: { _ in ServedArtifacts.manifest(["remote": Self.remoteVersions]) }) {
                base in
                let source = RegistrySource(base + "/manifest.json")
                let first = try await platform.sync(source, scope: .global, name: "mirror", actorId: "ops")
                #expect(first.added == ["remote"])
                // 1.1.0 was never served; now the server loses 1.0.0 too, and the cache is emptied by hand.
                try FileManager.default.removeItem(atPath: directory + "/served/modules/remote.wasm")
                try FileManager.default.removeItem(atPath: platform.store.path + "/artifacts")
                let report = try await platform.sync(source, scope: .global, name: "mirror", actorId: "ops")
                #expect(report.problems.count == 2 && report.removed.isEmpty && report.changed.isEmpty)
                #expect(try platform.plugin("remote")?.withdrawn == false)
                #expect(try platform.plugin("remote")?.releases.map(\.version.description) == ["1.0.0"])
            }
        }
    }

    @Test("a release synced before whose module cannot be downloaded now keeps its record; nothing is withdrawn")
    func failedDownloadChangesNothingSynced() async throws {
        let listing = ServedArtifacts.manifest([
            "remote": Self.remoteVersions, "solo": [.init("1.0.0", "modules/second.wasm", Self.secondDigest)],
        ])
        try await withPlatform { platform, directory in
            try await serve(directory, manifest: { _ in listing }) { base in
                try ServedArtifacts.write(Self.second, as: "second.wasm", in: directory)
                let source = RegistrySource(base + "/manifest.json")
                let first = try await platform.sync(source, scope: .global, actorId: "ops")
                #expect(first.added == ["remote", "solo"] && first.problems.isEmpty)
                let (remote, solo) = (try platform.plugin("remote"), try platform.plugin("solo"))
                _ = try await platform.install("solo", organization: "acme", actorId: "ana")

                // The module leaves both the server and the cache (removed by hand): the next sync cannot have it.
                try FileManager.default.removeItem(atPath: directory + "/served/modules/second.wasm")
                try FileManager.default.removeItem(atPath: platform.store.path + "/artifacts/\(Self.secondDigest).wasm")
                let report = try await platform.sync(source, scope: .global, actorId: "ops")
                #expect(report.problems.count == 2)
                #expect(report.problems.allSatisfy { $0.reason.contains("cannot be downloaded: HTTP status 404") })
                #expect(report.added.isEmpty && report.changed.isEmpty && report.removed.isEmpty)
                #expect(report.unchanged == 1)
                #expect(try platform.plugin("remote") == remote)
                #expect(try platform.plugin("solo") == solo)
                #expect(try platform.plugin("solo")?.withdrawn == false)
                #expect(try platform.installs(organization: "acme").map(\.name) == ["solo"])
            }
        }
    }

    @Test("the cache of a store opened by a relative path records absolute paths, so plugins run from anywhere")
    func cacheOfARelativeStorePath() {
        let directory = ArtifactCache(storePath: "annals-store").directory
        #expect(directory == FileManager.default.currentDirectoryPath + "/annals-store/artifacts")
        #expect(ArtifactCache(storePath: "/var/lib/x/../store").directory == "/var/lib/store/artifacts")
    }

    @Test("a download larger than the limit is cancelled and refused, whatever the server sends")
    func oversizedDownload() async throws {
        try await withPlatform { _, directory in
            try await serve(directory, manifest: { _ in [:] }) { base in
                let served = directory + "/served"
                try Data(count: 70_000).write(to: URL(fileURLWithPath: served + "/large.bin"))
                #expect(try RegistrySourceProbe.download(base + "/large.bin", maximumBytes: 100_000).count == 70_000)
                #expect {
                    _ = try RegistrySourceProbe.download(base + "/large.bin", maximumBytes: 50_000)
                } throws: { error in
                    guard case .unreadableSource(_, let reason) = error as? PlatformError else { return false }
                    return reason == "the response is larger than 50000 bytes"
                }
                #expect {
                    _ = try RegistrySourceProbe.download(base + "/missing.bin", maximumBytes: 50_000)
                } throws: { error in
                    guard case .unreadableSource(_, let reason) = error as? PlatformError else { return false }
                    return reason == "HTTP status 404"
                }
            }
        }
    }
}

/// ``RegistrySource/download(_:source:maximumBytes:)`` reached from the tests.
enum RegistrySourceProbe {
    static func download(_ url: String, maximumBytes: Int) throws -> [UInt8] {
        try RegistrySource.download(URL(string: url)!, source: url, maximumBytes: maximumBytes)
    }
}
