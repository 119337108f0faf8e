import AnnalsTestSupport
import Foundation
import Testing

/// `annals plugin sync` against an artifact host that refuses connections: the first download fails, the others
/// from that host are skipped without being tried, each naming the host and the first failure; the exit code is 0,
/// or 2 with `--strict`.
@Suite("annals plugin sync: an unreachable artifact host")
struct CLIPluginUnreachableHostTests {
    @Test("the downloads after the first from a host that refuses are skipped, naming the host and the first failure")
    func refusingHost() throws {
        let port = try refusingPort()
        let (dead, host) = ("http://127.0.0.1:\(port)", "127.0.0.1:\(port)")
        try withCLIFixture { fx in
            try fx.initStore()
            let entries = (1...3).map { number in
                #"{"name": "gone-\#(number)", "versions": [{"version": "1.0.0", "actions": [{"name": "run"}], "#
                    + #""artifact": {"path": "\#(dead)/gone-\#(number).wasm", "#
                    + #""sha256": "\#(String(repeating: "a", count: 64))"}}]}"#
            }
            let manifest = #"{"format": "annals.plugins/1", "plugins": ["# + entries.joined(separator: ", ") + "]}"
            try manifest.write(toFile: fx.path("mirror.json"), atomically: true, encoding: .utf8)

            let synced = try fx.annals("plugin", "sync", fx.path("mirror.json"))
            #expect(synced.status == Exit.ok, "\(synced)")
            let skipped = synced.errors.split(separator: "\n").filter { $0.hasPrefix("annals: skipped ") }
            #expect(skipped.count == 3, "\(synced)")
            let first = "\(dead)/gone-1.wasm: cannot connect to \(host): "
            #expect(
                skipped.first?.hasPrefix(
                    "annals: skipped gone-1 (-): version 1.0.0 is left out: its artifact at \(dead)/gone-1.wasm "
                        + "cannot be downloaded: cannot connect to \(host): ") == true,
                "\(synced)")
            for (number, line) in zip(2...3, skipped.dropFirst()) {
                #expect(
                    line.hasPrefix(
                        "annals: skipped gone-\(number) (-): version 1.0.0 is left out: its artifact at "
                            + "\(dead)/gone-\(number).wasm was not downloaded: its host \(host) could not be "
                            + "connected to earlier in this sync (first failure: \(first)"),
                    "\(line)")
            }

            let strict = try fx.annals("plugin", "sync", fx.path("mirror.json"), "--strict")
            #expect(strict.status == Exit.invalidInput, "\(strict)")
            #expect(strict.errors.contains("3 entries were skipped (--strict)"), "\(strict)")
            #expect(strict.errors.contains("its host \(host) could not be connected to earlier"), "\(strict)")
        }
    }
}
