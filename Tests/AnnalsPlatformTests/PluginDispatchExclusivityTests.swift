import Annals
import AnnalsPlatform
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
}
