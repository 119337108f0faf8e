import AnnalsTestSupport
import Foundation
import Testing

/// The example plugins' registry, written by `make plugins`.
let examplePluginsRegistry = RepositoryPaths.examplePlugins + "/registry.json"

/// A store with the example plugins synced and `plugins` installed in acme. The `plugin run --async` runners still
/// running at the end are killed (they run detached, so the fixture does not stop them otherwise).
func withPlugins<R>(_ plugins: [String], _ body: (CLIFixture) throws -> R) throws -> R {
    try #require(FileManager.default.fileExists(atPath: examplePluginsRegistry), "run `make plugins` first")
    return try withCLIFixture { fx in
        defer { fx.killJobRunners() }
        try fx.initStore()
        try #require(try fx.annals("plugin", "sync", examplePluginsRegistry).status == Exit.ok)
        for plugin in plugins {
            let install = try fx.annals("plugin", "install", plugin, "--group", "acme")
            try #require(install.status == Exit.ok, "\(install)")
        }
        return try body(fx)
    }
}
