import AnnalsTestSupport
import Foundation
import Testing

/// A module that cannot be written to the artifact cache fails the sync (exit 2) in the system's words, and leaves no
/// temporary file behind.
@Suite("annals plugin sync: a full artifact cache")
struct CLIPluginFullCacheTests {
    @Test(
        "a module larger than the cache's free space fails the sync naming the system's reason; nothing is left",
        .enabled(if: SmallFileSystem.canMount, "mounting a small file system needs root with CAP_SYS_ADMIN"))
    func fullCache() async throws {
        let served = FileManager.default.temporaryDirectory.appendingPathComponent("annals-served-\(UUID())").path
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: served) }
        let module = [UInt8]((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try Data(module).write(to: URL(fileURLWithPath: served + "/big.wasm"))
        let summed = try runProcess("/usr/bin/env", ["sha256sum", served + "/big.wasm"], directory: served)
        let digest = String(summed.output.prefix(64))
        try await withHTTPServer(serving: served) { base in
            try withCLIFixture { fx in
                try fx.initStore()
                let manifest =
                    #"{"format": "annals.plugins/1", "plugins": [{"name": "big", "versions": [{"version": "1.0.0", "#
                    + #""actions": [{"name": "run"}], "artifact": {"path": "\#(base)/big.wasm", "#
                    + #""sha256": "\#(digest)"}}]}]}"#
                try manifest.write(toFile: fx.path("big.json"), atomically: true, encoding: .utf8)
                try SmallFileSystem.with(kibibytes: 256, in: fx.directory) { small in
                    try FileManager.default.createSymbolicLink(
                        atPath: fx.store + "/artifacts", withDestinationPath: small.path)
                    let synced = try fx.annals("plugin", "sync", fx.path("big.json"))
                    #expect(synced.status == Exit.invalidInput, "\(synced)")
                    #expect(synced.errors.contains(": No space left on device"), "\(synced)")
                    let left = try FileManager.default.contentsOfDirectory(atPath: small.path)
                    #expect(left == [".lock"], "\(left)")
                }
            }
        }
    }
}
