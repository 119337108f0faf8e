import Annals
import AnnalsTestSupport
import Foundation
import Testing

@testable import AnnalsPlatform

/// Artifacts given by URL, and relative ones in a manifest fetched by URL, are downloaded at sync into the
/// content-addressed cache beside the store, checked against their SHA-256, and run from there.
@Suite("Remote artifacts")
struct RemoteArtifactTests {
    /// A module whose action returns `{}`, and its digest.
    static let module: [UInt8] = {
        var builder = WasmModuleBuilder()
        builder.dataSegments = [(offset: 0, bytes: Array("{}".utf8))]
        builder.output = (0, 2)
        return builder.bytes
    }()
    static let digest = PluginRuntimeTestDigest.sha256(module)

    /// A manifest listing `remote` 1.0.0 with its artifact at `path` and SHA-256 `sha256`.
    func manifest(path: String, sha256: String = digest) -> JSONValue {
        [
            "format": "annals.plugins/1",
            "plugins": [
                [
                    "name": "remote",
                    "versions": [
                        [
                            "version": "1.0.0", "artifact": ["path": .string(path), "sha256": .string(sha256)],
                            "actions": [["name": "run"]],
                        ]
                    ],
                ]
            ],
        ]
    }

    /// Serves the module (as `modules/remote.wasm`) and `manifest` (as `manifest.json`) from `directory/served`.
    func serve(_ directory: String, manifest: (String) -> JSONValue, _ body: (String) async throws -> Void)
        async throws
    {
        let served = directory + "/served"
        try FileManager.default.createDirectory(atPath: served + "/modules", withIntermediateDirectories: true)
        try Data(Self.module).write(to: URL(fileURLWithPath: served + "/modules/remote.wasm"))
        try await withHTTPServer(serving: served) { base in
            try Data(manifest(base).canonicalBytes).write(to: URL(fileURLWithPath: served + "/manifest.json"))
            try await body(base)
        }
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

    @Test("a downloaded artifact whose SHA-256 differs is refused, naming plugin, version and both digests")
    func digestMismatch() async throws {
        let wrong = String(repeating: "ab", count: 32)
        try await withPlatform { platform, directory in
            try await serve(directory, manifest: { _ in manifest(path: "modules/remote.wasm", sha256: wrong) }) {
                base in
                do {
                    _ = try await platform.sync(RegistrySource(base + "/manifest.json"), scope: .global, actorId: "ops")
                    Issue.record("synced an artifact whose digest differs")
                } catch {
                    guard case .unreadableSource(_, let reason) = error as? PlatformError else { throw error }
                    #expect(reason.contains("remote 1.0.0"))
                    #expect(reason.contains(Self.digest) && reason.contains(wrong))
                }
                #expect(try platform.plugin("remote") == nil)
                #expect(!FileManager.default.fileExists(atPath: platform.store.path + "/artifacts/\(wrong).wasm"))
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
