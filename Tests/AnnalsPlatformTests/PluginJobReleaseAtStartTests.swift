import Annals
import AnnalsPlatform
import AnnalsSandbox
import AnnalsTestSupport
import Testing

@Suite("A queued job runs the release its organization has installed when it starts")
struct PluginJobReleaseAtStartTests {
    @Test("a job submitted in process, then downgraded before it starts, runs the older release with its grants")
    func aDowngradeBeforeTheStartIsWhatRuns() async throws {
        try await withRuntime(
            installing: ["runaway"], limits: SandboxLimits(fuel: .max, timeout: .seconds(180)), jobConcurrency: 1
        ) { runtime, platform, directory in
            try await install(
                [
                    PluginEffectiveGrantsTests.keeper("1.0.0", permissions: []),
                    PluginEffectiveGrantsTests.keeper("1.1.0", permissions: ["kv"]),
                ], in: platform, directory: directory)
            // The one slot is held, so the keeper job waits, prepared from 1.1.0 (which is granted kv).
            let holder = try await runtime.submit(
                "runaway", action: "run", organization: "acme", input: "{}", actorId: "ana")
            try await waitUntilRunning(runtime, holder.id)
            let job = try await runtime.submit(
                "keeper", action: "run", organization: "acme", input: "{}", actorId: "ana")
            #expect(try runtime.job(job.id)?.state == .queued)
            let queued = try #require(try executionEvents(platform.store, job.id).first)
            #expect(queued.metadata["version"] == "1.1.0", "the queued event records the release of its submission")

            _ = try await platform.install("keeper", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await runtime.cancel(job: holder.id, actorId: "ana")
            let outcome = try #require(await runtime.wait(forJob: job.id))
            // 1.0.0 does not ask for kv: its run is refused the write, as a run of it would be.
            #expect(outcome.version == "1.0.0" && outcome.failure?.kind == .permissionDenied, "\(outcome)")
            let initiated = try #require(try executionEvents(platform.store, job.id).dropFirst().first)
            #expect(initiated.type == ExecutionEventType.initiated)
            #expect(initiated.metadata["version"] == "1.0.0" && initiated.metadata["grants"] == [])
        }
    }

    @Test("a job submitted in process whose action its new release no longer declares is abandoned, saying why")
    func anActionGoneBeforeTheStartAbandonsTheJob() async throws {
        try await withRuntime(
            installing: ["runaway"], limits: SandboxLimits(fuel: .max, timeout: .seconds(180)), jobConcurrency: 1
        ) { runtime, platform, directory in
            var other = PluginEffectiveGrantsTests.keeper("1.1.0", permissions: [])
            other.module.action = "renamed"
            try await install(
                [PluginEffectiveGrantsTests.keeper("1.0.0", permissions: []), other], in: platform,
                directory: directory)
            _ = try await platform.install("keeper", range: "1.0.0", organization: "acme", actorId: "ana")
            let holder = try await runtime.submit(
                "runaway", action: "run", organization: "acme", input: "{}", actorId: "ana")
            try await waitUntilRunning(runtime, holder.id)
            let job = try await runtime.submit(
                "keeper", action: "run", organization: "acme", input: "{}", actorId: "ana")

            _ = try await platform.update("keeper", organization: "acme", actorId: "ana")
            _ = try await runtime.cancel(job: holder.id, actorId: "ana")
            #expect(await runtime.wait(forJob: job.id) == nil)
            let status = try #require(try runtime.job(job.id))
            #expect(status.state == .abandoned)
            let abandoned = try #require(try executionEvents(platform.store, job.id).last)
            #expect(abandoned.type == ExecutionEventType.abandoned)
            let reason = abandoned.metadata["reason"]?.stringValue ?? ""
            #expect(reason.hasPrefix("its runner could not start it:") && reason.contains("renamed"), "\(reason)")
        }
    }
}
