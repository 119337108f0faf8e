import Annals
import AnnalsPlatform
import AnnalsResolver
import Foundation
import Testing

/// A pinned install is locked: an install or update whose resolution no longer needs it is refused, as an update of
/// it is, instead of removing it.
@Suite("Pinned installs that an install or update would remove")
struct PluginPinnedRemovalTests {
    /// Whether `error` is the refusal naming the pinned lib.
    private func isPinnedLib(_ error: any Error) -> Bool {
        guard case .pinnedWouldChange(let plugin, let version, let removed) = error as? PlatformError else {
            return false
        }
        return plugin == "lib" && version == "1.0.0" && removed
            && "\(error)".hasPrefix("this would remove lib, which is pinned at 1.0.0")
    }

    @Test("an update or install that would remove a pinned dependency is refused, dry run included; unpinned, it goes")
    func pinnedDependencyIsNotRemoved() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["app": ["1.0.0": ["lib": "^1.0.0"], "2.0.0": [:]], "lib": ["1.0.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("app", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.pin("lib", organization: "acme", actorId: "ana")
            let head = try platform.store.head().offset
            for dryRun in [true, false] {
                await #expect {
                    try await platform.update("app", organization: "acme", actorId: "ana", dryRun: dryRun)
                } throws: { isPinnedLib($0) }
                await #expect {
                    try await platform.install(
                        "app", range: "2.0.0", organization: "acme", actorId: "ana", dryRun: dryRun)
                } throws: { isPinnedLib($0) }
            }
            #expect(try platform.store.head().offset == head, "nothing was written")
            #expect(try platform.installs(organization: "acme").map(\.name) == ["app", "lib"])

            _ = try await platform.unpin("lib", organization: "acme", actorId: "ana")
            let plan = try await platform.update("app", organization: "acme", actorId: "ana")
            #expect(plan.steps.first { $0.name == "lib" }?.action == .remove)
            #expect(try platform.installs(organization: "acme").map(\.name) == ["app"])
        }
    }

    @Test("a rollback of another plugin that would change or remove a pinned install says which, and why")
    func rollbackOfAnotherPluginNamesThePinnedInstall() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                [
                    "app": ["1.0.0": ["lib": "1.0.0"], "1.1.0": ["lib": "1.1.0"]],
                    "tool": ["1.0.0": [:], "1.1.0": ["lib": "^1.0.0"]],
                    "lib": ["1.0.0": [:], "1.1.0": [:]],
                ], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("app", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.update("app", range: "^1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.pin("lib", organization: "acme", actorId: "ana")
            await #expect {
                try await platform.rollback("app", organization: "acme", actorId: "ana")
            } throws: { error in
                guard case .pinnedWouldChange("lib", "1.1.0", removed: false) = error as? PlatformError else {
                    return false
                }
                return "\(error)" == "this would change lib, which is pinned at 1.1.0; unpin it first"
            }

            _ = try await platform.install("tool", range: "1.0.0", organization: "other", actorId: "ana")
            _ = try await platform.update("tool", range: "^1.0.0", organization: "other", actorId: "ana")
            _ = try await platform.pin("lib", organization: "other", actorId: "ana")
            await #expect {
                try await platform.rollback("tool", organization: "other", actorId: "ana")
            } throws: { error in
                guard case .pinnedWouldChange("lib", _, removed: true) = error as? PlatformError else { return false }
                return "\(error)".hasPrefix("this would remove lib")
            }
        }
    }
}
