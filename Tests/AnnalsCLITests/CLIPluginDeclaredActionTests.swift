import AnnalsTestSupport
import Foundation
import Testing

@Suite("annals plugin run: only the actions the installed release declares run")
struct CLIPluginDeclaredActionTests {
    @Test("an exported action the release does not declare exits 4, names the declared ones, and records nothing")
    func undeclaredActionIsRefused() throws {
        let digest = try #require(try exampleDigests()["echo.wasm"], "run `make plugins` first")
        try withCLIFixture { fx in
            try fx.initStore()
            // The echo module exports echo, not_json, bad_pointer and on_event; this release declares echo alone.
            let module = RepositoryPaths.examplePlugins + "/echo.wasm"
            let manifest =
                #"{"format": "annals.plugins/1", "plugins": [{"name": "echo", "versions": [{"#
                + #""version": "1.0.0", "artifact": {"path": "\#(module)", "sha256": "\#(digest)"}, "#
                + #""actions": [{"name": "echo"}]}]}]}"#
            try manifest.write(toFile: fx.path("declared.json"), atomically: true, encoding: .utf8)
            try #require(try fx.annals("plugin", "sync", fx.path("declared.json")).status == Exit.ok)
            try #require(try fx.annals("plugin", "install", "echo", "--group", "acme").status == Exit.ok)
            let declared = try fx.annals("plugin", "run", "echo", "echo", "--group", "acme", "--input", "{}")
            #expect(declared.status == Exit.ok, "\(declared)")
            let recorded = try fx.annals("read", "--type", "plugin_*").lines.count
            #expect(recorded == 2)

            let run = ["plugin", "run", "echo", "not_json", "--group", "acme", "--input", "{}"]
            for refused in [try fx.annals(run, stdinBytes: []), try fx.annals(run + ["--async"], stdinBytes: [])] {
                #expect(refused.status == Exit.notFound, "\(refused)")
                #expect(refused.output.isEmpty, "\(refused)")
                #expect(
                    refused.errors.contains("echo@1.0.0 does not declare the action 'not_json' (it declares: echo)"),
                    "\(refused)")
            }
            #expect(try fx.annals("read", "--type", "plugin_*").lines.count == recorded)
            #expect(try fx.annals("plugin", "jobs", "--group", "acme").lines.count == 1)
        }
    }
}
