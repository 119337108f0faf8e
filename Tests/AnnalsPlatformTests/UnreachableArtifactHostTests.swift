import Annals
import AnnalsTestSupport
import Foundation
import Testing

@testable import AnnalsPlatform

/// A sync against an artifact host that cannot be connected to finishes promptly: the first download from the host
/// waits for the connect timeout, the others from that host are skipped at once, each naming the host and the first
/// failure, and modules from other hosts are downloaded as usual.
@Suite("Unreachable artifact hosts")
struct UnreachableArtifactHostTests {
    /// The served module, and its digest.
    static let module = ServedArtifacts.module(returning: "{}")
    static let digest = PluginRuntimeTestDigest.sha256(module)

    /// Serves the module as `live`'s, and writes `DIRECTORY/mirror.json` listing twelve plugins whose modules are at
    /// `dead` (a base URL), then `live` (all have the same module); `body` gets the platform, the directory, the
    /// manifest's path and the server's base URL.
    func withMirror(
        dead: String, _ body: (PluginPlatform, String, String, String) async throws -> Void
    ) async throws {
        var plugins: [(name: String, versions: [ServedArtifacts.Version])] = (1...12).map { number in
            ("gone-\(number)", [ServedArtifacts.Version("1.0.0", "\(dead)/gone-\(number).wasm", Self.digest)])
        }
        try await withPlatform { platform, directory in
            try await ServedArtifacts.serve(directory, modules: ["live.wasm": Self.module], manifest: { _ in [:] }) {
                base in
                plugins.append(("live", [ServedArtifacts.Version("1.0.0", "\(base)/modules/live.wasm", Self.digest)]))
                let path = directory + "/mirror.json"
                try Data(ServedArtifacts.manifest(plugins).canonicalBytes).write(to: URL(fileURLWithPath: path))
                try await body(platform, directory, path, base)
            }
        }
    }

    /// Syncs the mirror of ``withMirror(dead:_:)`` whose dead modules are at port `port` of 127.0.0.1, and checks
    /// that only the first of them was tried: it failed with `failure` (what follows `cannot be downloaded: `, up to
    /// the system's reason), and each other one names the host, what it `failed` to do and that first failure.
    /// Timing the sync instead would make a unit test of a benchmark, and fail on a loaded machine.
    func expectOneTry(
        port: Int, timeouts: DownloadTimeouts, failure: (String) -> String, failed: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let dead = "http://127.0.0.1:\(port)"
        try await withMirror(dead: dead) { platform, _, path, _ in
            let report = try await platform.sync(
                RegistrySource(path), scope: .global, actorId: "ops", downloadTimeouts: timeouts)
            #expect(report.added == ["live"], sourceLocation: sourceLocation)
            #expect(
                Set(report.problems.map(\.entry)) == Set((1...12).map { "gone-\($0)" }), sourceLocation: sourceLocation)
            let host = "127.0.0.1:\(port)"
            let first = try #require(report.problems.first, sourceLocation: sourceLocation).reason
            #expect(
                first.hasPrefix(
                    "version 1.0.0 is left out: its artifact at \(dead)/gone-1.wasm cannot be downloaded: "
                        + failure(host)),
                "\(first)", sourceLocation: sourceLocation)
            for problem in report.problems.dropFirst() {
                #expect(
                    problem.reason.contains(
                        "was not downloaded: its host \(host) \(failed) earlier in this sync (first failure: "
                            + "\(dead)/gone-1.wasm: \(failure(host))"),
                    "\(problem.reason)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a host that never accepts costs one connect timeout per sync, not one per release")
    func silentHost() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        try await expectOneTry(
            port: silent.port, timeouts: DownloadTimeouts(connect: 1), failure: { "cannot connect to \($0): " },
            failed: "could not be connected to")
    }

    @Test("a host that takes the request but never answers costs one stall timeout per sync, not one per release")
    func hungHost() async throws {
        let mute = try MuteListener()
        defer { mute.close() }
        try await expectOneTry(
            port: mute.port, timeouts: DownloadTimeouts(connect: 5, stall: 1),
            failure: { "\($0) accepted the request but sent no response: " }, failed: "sent no response")
    }

    /// How the download of `url` fails, or `nil` when it succeeds.
    func downloadFailure(_ url: String, timeouts: DownloadTimeouts) throws -> DownloadFailure? {
        let url = try #require(URL(string: url))
        do throws(DownloadFailure) {
            try HTTPDownload.get(url, maximumBytes: 1_000, timeouts: timeouts) { _ in }
            return nil
        } catch {
            return error
        }
    }

    /// How a download redirected to port `port` of 127.0.0.1 fails.
    func redirectFailure(toPort port: Int, timeouts: DownloadTimeouts) async throws -> DownloadFailure? {
        try await AnnouncingHTTPServer.serving(announcedBytes: 0) { base in
            try downloadFailure(base + "/to-port/\(port)", timeouts: timeouts)
        }
    }

    @Test("a redirect to a host that never accepts blames that host as unreachable, not as silent after a request")
    func redirectToASilentHost() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let failure = try await redirectFailure(toPort: silent.port, timeouts: DownloadTimeouts(connect: 1, stall: 30))
        guard case .unreachableHost(let host, _) = failure else {
            Issue.record("\(String(describing: failure))")
            return
        }
        #expect(host == "127.0.0.1:\(silent.port)")
    }

    @Test("a redirect to a host that takes the request but never answers blames that host as unresponsive")
    func redirectToAHungHost() async throws {
        let mute = try MuteListener()
        defer { mute.close() }
        let failure = try await redirectFailure(toPort: mute.port, timeouts: DownloadTimeouts(connect: 5, stall: 1))
        guard case .unresponsiveHost(let host, _) = failure else {
            Issue.record("\(String(describing: failure))")
            return
        }
        #expect(host == "127.0.0.1:\(mute.port)")
    }

    @Test("a host that answers with a redirect and then stalls in its body did respond: a transfer failure")
    func stalledRedirectBody() async throws {
        try await AnnouncingHTTPServer.serving(announcedBytes: 100) { base in
            let failure = try downloadFailure(
                base + "/stalled-redirect", timeouts: DownloadTimeouts(connect: 5, stall: 1))
            guard case .transfer = failure else {
                Issue.record("\(String(describing: failure))")
                return
            }
        }
    }

    @Test("a host is one whatever the case of its name, and an IPv6 address keeps its brackets")
    func hostNames() throws {
        let host = { (url: String) in HTTPDownload.host(of: try #require(URL(string: url))) }
        #expect(try host("http://Example.ORG/m.wasm") == "example.org:80")
        #expect(try host("https://example.org/m.wasm") == "example.org:443")
        #expect(try host("http://[::1]:8080/m.wasm") == "[::1]:8080")
        #expect(try host("https://[2001:DB8::1]/m.wasm") == "[2001:db8::1]:443")
    }

    @Test("a module already cached is used even when its host is unreachable")
    func cachedModuleOfAnUnreachableHost() async throws {
        let dead = "http://127.0.0.1:\(try refusingPort())"
        try await withMirror(dead: dead) { platform, directory, path, base in
            // A sync of `live` alone caches the module; the next (of another source: the registry moves, by its
            // name) finds it cached for every release and never waits for the dead host.
            let live = ServedArtifacts.manifest(["live": [.init("1.0.0", "\(base)/modules/live.wasm", Self.digest)]]
            )
            try Data(live.canonicalBytes).write(to: URL(fileURLWithPath: directory + "/live.json"))
            _ = try await platform.sync(
                RegistrySource(directory + "/live.json"), scope: .global, name: "mirror", actorId: "ops")
            let report = try await platform.sync(RegistrySource(path), scope: .global, name: "mirror", actorId: "ops")
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(Set(report.added) == Set((1...12).map { "gone-\($0)" }))
        }
    }
}
