import Annals
import AnnalsPlatform
import AnnalsSandbox
import AnnalsTestSupport
import Testing

@Suite("Plugin runs get only the grants their installed release asks for")
struct PluginEffectiveGrantsTests {
    /// Release `version` of `keeper`, asking for `permissions`, whose `run` sets the key `k` to `v` with `kv_set`
    /// (whether it asks for `kv` or not) and returns `{}`.
    static func keeper(_ version: String, permissions: [String]) -> BuiltPlugin {
        var module = WasmModuleBuilder()
        module.imports = [(name: "kv_set", parameters: 4, results: 0)]
        module.dataSegments = [(offset: 1_024, bytes: Array("{}kv".utf8))]
        module.output = (1_024, 2)
        module.calls = [(function: 0, arguments: [1_026, 1, 1_027, 1])]
        return BuiltPlugin(name: "keeper", version: version, module: module, permissions: permissions)
    }

    @Test("a grant a downgrade kept from a later version is not handed to the older release, nor recorded as used")
    func downgradeKeepsTheGrantButTheRunCannotUseIt() async throws {
        try await withPlatform { platform, directory in
            try await install(
                [Self.keeper("1.0.0", permissions: []), Self.keeper("1.1.0", permissions: ["kv"])], in: platform,
                directory: directory)
            let runtime = PluginRuntime(store: platform.store)
            func run() async throws -> ExecutionOutcome {
                try await runtime.run("keeper", action: "run", organization: "acme", input: "{}", actorId: "a")
            }
            let current = try await run()
            #expect(current.succeeded, "\(current)")

            // A downgrade never revokes: 1.0.0, which does not ask for kv, is installed with the grant kept.
            _ = try await platform.install("keeper", range: "1.0.0", organization: "acme", actorId: "ana")
            let installed = try #require(try platform.installs(organization: "acme").first { $0.name == "keeper" })
            #expect(installed.version.description == "1.0.0" && installed.grants == ["kv"])

            let older = try await run()
            #expect(older.failure?.kind == .permissionDenied, "\(older)")
            let initiated = try #require(try executionEvents(platform.store, older.id).first)
            #expect(initiated.metadata["grants"] == [], "the audit trail records the grants the run could use")
            let earlier = try #require(try executionEvents(platform.store, current.id).first)
            #expect(earlier.metadata["grants"] == ["kv"])
        }
    }
}
