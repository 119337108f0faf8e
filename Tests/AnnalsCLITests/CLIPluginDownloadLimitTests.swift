import AnnalsTestSupport
import Foundation
import Testing

/// A module download is streamed to a temporary file with bounded memory, and stops as soon as its body passes the
/// 64 MiB limit, even when the server announces no length (a chunked body).
@Suite("annals plugin sync: the download limit")
struct CLIPluginDownloadLimitTests {
    /// The most bytes a download may bring.
    static let limit = 64 << 20

    /// Runs `python3 -c measuringPeakMemory USAGE COMMAND…`: runs the command, writes its peak resident set size
    /// (in KiB) to the file USAGE and exits with its status.
    static let measuringPeakMemory = """
        import resource, subprocess, sys
        status = subprocess.call(sys.argv[2:])
        with open(sys.argv[1], "w") as usage:
            usage.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
        sys.exit(status)
        """

    @Test("a chunked module of 300 MiB is refused once past the limit: reading stops there, memory stays bounded")
    func chunkedBodyPastTheLimit() async throws {
        try await ChunkedHTTPServer.serving(bodyBytes: 300 << 20) { server in
            try withCLIFixture { fx in
                try fx.initStore()
                let url = server.base + "/big.wasm"
                let manifest =
                    #"{"format": "annals.plugins/1", "plugins": [{"name": "big", "versions": [{"version": "1.0.0", "#
                    + #""actions": [{"name": "run"}], "artifact": {"path": "\#(url)", "#
                    + #""sha256": "\#(String(repeating: "0", count: 64))"}}]}]}"#
                try manifest.write(toFile: fx.path("big.json"), atomically: true, encoding: .utf8)
                let usage = fx.path("peak-memory")
                let result = try runProcess(
                    "/usr/bin/env",
                    [
                        "python3", "-c", Self.measuringPeakMemory, usage, fx.binary, "plugin", "sync",
                        fx.path("big.json"),
                        "--strict", "--store", fx.store,
                    ],
                    directory: fx.directory)
                #expect(result.status == Exit.invalidInput, "\(result)")
                #expect(
                    result.errors.contains(
                        "skipped big (-): version 1.0.0 is left out: its artifact at \(url) cannot be downloaded: "
                            + "the response is larger than \(Self.limit) bytes"),
                    "\(result)")
                // What the server could write before the client stopped reading: the limit, and what the two
                // sockets' buffers hold beyond it.
                let sent = try #require(try server.sentBytes())
                #expect(sent < Self.limit + (32 << 20), "the server sent \(sent) bytes")
                let peakKiB = try #require(Int(try String(contentsOfFile: usage, encoding: .utf8)))
                #expect(peakKiB * 1024 < Self.limit, "peak resident set \(peakKiB) KiB: the body was held in memory")
                // Nothing of the refused module is kept.
                let cached = try FileManager.default.contentsOfDirectory(atPath: fx.store + "/artifacts")
                #expect(cached == [".lock"])
            }
        }
    }
}
