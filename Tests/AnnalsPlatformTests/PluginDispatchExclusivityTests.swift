import Foundation
import Annals
import AnnalsPlatform
import AnnalsSandbox
import AnnalsTestSupport
import Testing

/// Two dispatchers of the same subscriptions each delivered every event (a helper's finding: 300 orders were
/// delivered twice, and a plugin's read-modify-write counter ended at 404 instead of 600). At most one runs now.
@Suite("One dispatcher of a set of subscriptions at a time")
struct PluginDispatchExclusivityTests {
    /// Whether `body` fails with ``PlatformError/dispatcherRunning(_:)``.
    func isRefused(_ body: () async throws -> Void) async -> Bool {
        do {
            try await body()
            return false
        } catch PlatformError.dispatcherRunning(let message) {
            return message.contains("another dispatcher holds") && message.contains("dispatch")
        } catch {
            return false
        }
    }

    @Test("a second dispatcher of the same subscriptions is refused until the first ends; other organizations run")
    func overlappingDispatchersAreRefused() async throws {
        try await withRuntime(installing: []) { runtime, _, _ in
            let everyone = PluginDispatcher(runtime: runtime)
            let acme = PluginDispatcher(runtime: runtime, organization: "acme")
            let beta = PluginDispatcher(runtime: runtime, organization: "beta")

            let held = try everyone.reserve()
            // Its own passes run inside its reservation.
            _ = try await everyone.runOnce()
            #expect(await isRefused { _ = try await PluginDispatcher(runtime: runtime).runOnce() })
            #expect(await isRefused { _ = try await acme.runOnce() })
            held.release()

            let acmeHeld = try acme.reserve()
            _ = try await beta.runOnce()
            #expect(await isRefused { _ = try await everyone.runOnce() })
            #expect(await isRefused { _ = try PluginDispatcher(runtime: runtime, organization: "acme").reserve() })
            acmeHeld.release()

            // Released: everything runs again, and a reservation released twice is released once.
            acmeHeld.release()
            _ = try await everyone.runOnce()
            _ = try await acme.runOnce()
        }
    }

    @Test("a pass over an organization with no subscriptions delivers nothing and leaves no lock file")
    func anOrganizationWithoutSubscriptionsLeavesNoLockFile() async throws {
        try await withRuntime(installing: []) { runtime, _, _ in
            let path = runtime.store.path
            func lockFiles() throws -> [String] {
                try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("dispatch-") }.sorted()
            }
            let report = try await PluginDispatcher(runtime: runtime, organization: "acme-typo").runOnce()
            #expect(report == PluginDispatcher.Report())
            #expect(try lockFiles() == [])
            // It still waits its turn behind a dispatcher of every organization.
            let held = try PluginDispatcher(runtime: runtime).reserve()
            #expect(
                await isRefused {
                    _ = try await PluginDispatcher(runtime: runtime, organization: "acme-typo").runOnce()
                })
            held.release()
            // A reservation (as --follow takes, for installs to come) creates it.
            let following = try PluginDispatcher(runtime: runtime, organization: "acme-typo").reserve()
            following.release()
            #expect(try lockFiles() == ["dispatch-61636d652d7479706f.lock"])
        }
    }

    @Test("a pass of a dispatcher, or of a copy of it, is refused while another of its passes runs")
    func overlappingPassesOfOneDispatcherAreRefused() async throws {
        try await withPlatform { platform, directory in
            // A handler that spins until its 400 ms run out: the first pass is still running when the second starts.
            var module = WasmModuleBuilder()
            module.action = "on_event"
            module.repeatsCalls = true
            try await install(
                [BuiltPlugin(name: "spinner", module: module, subscribes: ["order.*"])], in: platform,
                directory: directory)
            let store = platform.store
            _ = try await store.append(NewEvent(type: "order.created", targetId: "o-1", groupId: "acme"))
            _ = try store.sync()
            let runtime = PluginRuntime(store: store, limits: SandboxLimits(fuel: .max, timeout: .milliseconds(400)))
            let dispatcher = PluginDispatcher(runtime: runtime, maxAttempts: 1)
            let copy = dispatcher
            let first = Task { try await dispatcher.runOnce() }
            try await Task.sleep(for: .milliseconds(150))
            for pass in [dispatcher, copy] {
                do {
                    _ = try await pass.runOnce()
                    Issue.record("a second pass ran beside the first")
                } catch PlatformError.dispatcherRunning(let message) {
                    #expect(message.contains("already running in this process"), "\(message)")
                }
            }
            let report = try await first.value
            #expect(report.deadLettered == 1)
            // Once it ended, the next pass runs (and finds nothing left).
            #expect(try await copy.runOnce().deadLettered == 0)
        }
    }
}
