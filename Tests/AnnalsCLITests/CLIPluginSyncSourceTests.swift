import AnnalsTestSupport
import Foundation
import Testing

/// A registry's default name is its source's base name, so two sources can share one (`a/index.json`,
/// `b/index.json`): `annals plugin sync` without `--name` refuses (exit 2) a source other than the one the registry
/// of that name records, rather than make the two one registry, each sync withdrawing the other's plugins. A
/// `--name` that names the registry moves it to the new source.
@Suite("annals plugin sync: a registry's source")
struct CLIPluginSyncSourceTests {
    @Test func anotherSourceOfTheSameBaseNameNeedsName() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            for (directory, plugin) in [("a", "from-a"), ("b", "from-b")] {
                try FileManager.default.createDirectory(atPath: fx.path(directory), withIntermediateDirectories: true)
                try #"{"\#(plugin)": "github:x/\#(plugin)"}"#
                    .write(toFile: fx.path("\(directory)/index.json"), atomically: true, encoding: .utf8)
            }
            // Relative to the fixture directory, which the command runs in: recorded as the absolute path.
            let first = try fx.annals("plugin", "sync", "a/index.json")
            try #require(first.status == Exit.ok, "\(first)")
            #expect(try fx.annals("plugin", "sync", fx.path("a/index.json")).status == Exit.ok, "the same source")

            let head = try fx.headOffset()
            let refused = try fx.annals("plugin", "sync", fx.path("b/index.json"))
            #expect(refused.status == Exit.invalidInput, "\(refused)")
            #expect(
                refused.errors.contains(
                    "registry 'index' (a name derived from the source) was synced from '\(fx.path("a/index.json"))', "
                        + "not from '\(fx.path("b/index.json"))': give --name to sync this source as a registry of "
                        + "its own, or --name index to move registry 'index' to it; nothing was written"),
                "\(refused)")
            #expect(try fx.headOffset() == head)

            let own = try fx.annals("plugin", "sync", fx.path("b/index.json"), "--name", "b-index")
            #expect(own.status == Exit.ok, "\(own)")
            #expect(try own.object().array("removed")?.isEmpty == true, "a's plugin stays")
            // Given, the name moves the registry: a's plugin is withdrawn, and b's name is b-index's.
            try "{\"from-c\": \"github:x/from-c\"}".write(
                toFile: fx.path("b/index.json"), atomically: true, encoding: .utf8)
            let moved = try fx.annals("plugin", "sync", fx.path("b/index.json"), "--name", "index")
            #expect(moved.status == Exit.ok, "\(moved)")
            #expect(try moved.object().array("removed") as? [String] == ["from-a"], "\(moved)")
            #expect(try fx.annals("plugin", "sync", fx.path("b/index.json")).status == Exit.ok, "now its source")
        }
    }
}
