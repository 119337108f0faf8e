import Annals
import AnnalsPlatform
import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

/// A runtime checks an artifact once, and trusts it again only while its file is there unchanged: a long-lived
/// runtime (`plugin dispatch --follow`) refuses a removed or replaced artifact as a new process would, and one release
/// is not run from another release's file of the same content.
@Suite("Artifacts checked again when their file changes")
struct PluginArtifactRecheckTests {
    /// A plugin `name` whose `run` returns `{}`: the same bytes whatever the name.
    static func plugin(_ name: String) -> BuiltPlugin {
        var module = WasmModuleBuilder()
        module.dataSegments = [(offset: 40_000, bytes: Array("{}".utf8))]
        module.output = (40_000, 2)
        return BuiltPlugin(name: name, module: module)
    }

    /// Runs `name`'s `run` action in `acme`; the failure's message, or `nil` when it succeeded.
    func run(_ runtime: PluginRuntime, _ name: String) async throws -> String? {
        let outcome = try await runtime.run(name, action: "run", organization: "acme", input: "{}", actorId: "ana")
        return outcome.failure.map { "\($0.kind): \($0.message)" }
    }

    @Test("an artifact removed, replaced or restored after its first run is refused or run as a new process would")
    func changedArtifactIsCheckedAgain() async throws {
        try await withPlatform { platform, directory in
            try await install([Self.plugin("first")], in: platform, directory: directory)
            let runtime = PluginRuntime(store: platform.store)
            let artifact = URL(fileURLWithPath: directory + "/first-1.0.0.wasm")
            let original = try Data(contentsOf: artifact)
            #expect(try await run(runtime, "first") == nil)

            try FileManager.default.removeItem(at: artifact)
            let missing = try await run(runtime, "first")
            #expect(
                missing?.contains("moduleRefused: its artifact is missing") == true, "\(String(describing: missing))")

            try (original + Data([0])).write(to: artifact)
            let tampered = try await run(runtime, "first")
            #expect(tampered?.contains("not the registry's") == true, "\(String(describing: tampered))")

            try original.write(to: artifact)
            #expect(try await run(runtime, "first") == nil)

            // Replaced by a file larger than a module may be (sparse): read no further than that, then refused.
            #expect(truncate(artifact.path, (32 << 20) + 1) == 0)
            let huge = try await run(runtime, "first")
            #expect(
                huge?.contains("its artifact at \(artifact.path) is larger than the limit of 33554432 bytes") == true,
                "\(String(describing: huge))")

            // Replaced by a device, which may never end (or a FIFO, whose open waits for a writer): refused unread.
            try FileManager.default.removeItem(at: artifact)
            try FileManager.default.createSymbolicLink(atPath: artifact.path, withDestinationPath: "/dev/zero")
            let device = try await run(runtime, "first")
            #expect(
                device?.contains("its artifact at \(artifact.path) is not a regular file") == true,
                "\(String(describing: device))")
        }
    }

    @Test("a release whose artifact is missing is refused though another release of the same bytes was loaded")
    func sameContentElsewhereDoesNotStandIn() async throws {
        try await withPlatform { platform, directory in
            try await install([Self.plugin("first"), Self.plugin("second")], in: platform, directory: directory)
            let runtime = PluginRuntime(store: platform.store)
            #expect(try await run(runtime, "first") == nil)
            try FileManager.default.removeItem(atPath: directory + "/second-1.0.0.wasm")
            let second = try await run(runtime, "second")
            #expect(second?.contains("its artifact is missing") == true, "\(String(describing: second))")
            #expect(try await run(runtime, "first") == nil)
        }
    }
}
