import Annals
import AnnalsPlatform
import AnnalsSandbox
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A job whose plugin is no longer installed when its runner starts it ends there, abandoned with that reason,
/// instead of being left queued for a recovery to say its runner stopped.
@Suite("Jobs their runner cannot start")
struct PluginJobRunnerUnstartableTests {
    @Test("a job whose install was rolled away after it was queued is abandoned, naming why")
    func uninstalledPluginAbandonsTheJob() async throws {
        try await withPlatform { platform, directory in
            try await install([PluginJobRunnerRefusalTests.small], in: platform, directory: directory)
            let runtime = PluginRuntime(store: platform.store)
            let ticket = try await runtime.submitToProcess(
                "small", action: "run", organization: "acme", input: "{}", actorId: "ana"
            ) { _ in getpid() }
            let install = try #require(try platform.installs(organization: "acme").first { $0.name == "small" })
            let created = try #require(try platform.store.stream(install.thingId).collect().first)
            _ = try await platform.rollback(
                "small", organization: "acme", to: .offset(created.offset - 1), actorId: "ana")
            #expect(try platform.installs(organization: "acme").isEmpty)

            let runner = PluginRuntime(store: runtime.store)
            await #expect {
                _ = try await runner.runQueuedJob(ticket.id, actorId: "ana")
            } throws: { error in
                guard case .notFound = error as? PlatformError else { return false }
                return true
            }
            let events = try executionEvents(runtime.store, ticket.id)
            #expect(events.map(\.type) == [ExecutionEventType.jobQueued, ExecutionEventType.abandoned])
            let reason = events.last?.metadata["reason"]?.stringValue ?? ""
            #expect(reason.hasPrefix("its runner could not start it: "), "\(reason)")
            #expect(try runtime.job(ticket.id)?.state == .abandoned)
            // Recovery has nothing left to settle for it.
            #expect(try runtime.recoverAbandoned(actorId: "host").isEmpty)
        }
    }
}
