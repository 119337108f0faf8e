import Annals
import AnnalsSandbox
import Foundation
import Testing

@testable import AnnalsPlatform

@Suite("Event delivery to a refused module")
struct PluginDispatchRefusalTests {
    /// A platform with a copy of the example plugins synced (so that tampering leaves the shared build alone) and
    /// `plugin` installed in `acme`; the body gets the runtime and the path of the copy's `artifact`.
    func withCopiedPlugins(
        installing plugin: String = "event-counter", artifact: String = "event-counter.wasm",
        _ body: (PluginRuntime, String) async throws -> Void
    ) async throws {
        let registry = try ExamplePlugins.require()
        try await withPlatform { platform, directory in
            let copy = directory + "/plugins"
            try FileManager.default.copyItem(atPath: PathComponents.parent(of: registry), toPath: copy)
            _ = try await platform.sync(RegistrySource(copy + "/registry.json"), scope: .global, actorId: "ops")
            _ = try await platform.install(plugin, organization: "acme", actorId: "ana")
            try await body(PluginRuntime(store: platform.store), copy + "/" + artifact)
        }
    }

    @Test("a dead letter retried while its module is refused is recorded; the other letters are still retried")
    func deadLetterRetryRecordsRefusal() async throws {
        try await withCopiedPlugins(installing: "flaky-counter", artifact: "trap.wasm") { runtime, artifact in
            let store = runtime.store
            _ = try await PluginPlatform(store: store).install("event-counter", organization: "beta", actorId: "ana")
            _ = try await orders(store, 1)
            _ = try await store.append(NewEvent(type: "order.created", targetId: "order-b", groupId: "beta"))
            _ = try store.sync()
            // Out of fuel at once: acme's flaky-counter, then beta's event-counter, dead-letter their event.
            let starved = PluginRuntime(store: store, limits: SandboxLimits(fuel: 1))
            let dispatcher = PluginDispatcher(runtime: starved, maxAttempts: 2, backoff: .milliseconds(1))
            #expect(try await dispatcher.runOnce().deadLettered == 2)
            let letters = try PluginDispatcher.deadLetters(store)
            #expect(letters.map(\.plugin) == ["flaky-counter", "event-counter"])
            #expect(letters.allSatisfy { $0.attempts == 2 && $0.errorKind == "outOfFuel" }, "\(letters)")

            let original = try Data(contentsOf: URL(fileURLWithPath: artifact))
            try (original + Data([0])).write(to: URL(fileURLWithPath: artifact))
            // A new process with the default limits (a runtime keeps the module it checked and loaded).
            let restarted = PluginDispatcher(runtime: PluginRuntime(store: store), maxAttempts: 1)
            let retried = try await restarted.retryDeadLetters()
            guard case .moduleRefused(let plugin, let version, let reason) = retried.refusal else {
                Issue.record("no refusal: \(String(describing: retried.refusal))")
                return
            }
            #expect(plugin == "flaky-counter" && version == "1.0.0")
            #expect(reason.contains("not the registry's"), "\(reason)")

            // The refused letter has one attempt more, the refusal; the next one was retried and resolved.
            let refusedLetter = try #require(retried.letters.first)
            #expect(retried.letters.count == 2)
            #expect(refusedLetter.id == letters[0].id && refusedLetter.attempts == 3 && !refusedLetter.resolved)
            #expect(refusedLetter.errorKind == "moduleRefused" && refusedLetter.error == reason)
            #expect(retried.letters.last?.id == letters[1].id && retried.letters.last?.resolved == true)
            #expect(try PluginDispatcher.deadLetters(store) == retried.letters)
            #expect(try store.thing("kv:beta:event-counter")?.properties["count:order.created"]?.stringValue == "1")

            // The refusal is a failed execution, which the letter's latest record names.
            let refused = try runtime.jobs(organization: "acme").filter { $0.errorKind == "moduleRefused" }
            #expect(refused.count == 1 && refused.first?.plugin == "flaky-counter")
            #expect(refused.first?.state == .failed)
            let record = try #require(try store.stream(refusedLetter.id).collect().last)
            #expect(record.type == "plugin_dead_letter")
            #expect(record.metadata["correlationId"]?.stringValue == refused.first?.id)
        }
    }

    /// Appends `count` order events in `acme` and syncs the store, since only durable events are delivered.
    func orders(_ store: EventStore, _ count: Int) async throws -> [UInt64] {
        let receipts = try await store.append(
            contentsOf: (0..<count).map { i in
                NewEvent(type: "order.created", targetId: "order-\(i)", groupId: "acme", metadata: ["n": .integer(i)])
            })
        _ = try store.sync()
        return receipts.map(\.offset)
    }

    /// The executions of `event-counter` in `acme`, newest first.
    func executions(_ runtime: PluginRuntime) throws -> [JobStatus] {
        try runtime.jobs(organization: "acme").filter { $0.plugin == "event-counter" }
    }

    @Test("a refused module is recorded once per held event, the cursor holds, and delivery resumes once fixed")
    func refusalIsRecordedOncePerEvent() async throws {
        try await withCopiedPlugins { runtime, artifact in
            let store = runtime.store
            let offsets = try await orders(store, 2)
            let original = try Data(contentsOf: URL(fileURLWithPath: artifact))
            try (original + Data([0])).write(to: URL(fileURLWithPath: artifact))

            let dispatcher = PluginDispatcher(runtime: runtime, backoff: .milliseconds(1))
            let before = try #require(try dispatcher.subscriptions().first)
            let report = try await dispatcher.runOnce()
            #expect(report.delivered == 0 && report.retried == 0 && report.deadLettered == 0)
            let problem = try #require(report.problems.first)
            #expect(report.problems.count == 1)
            #expect(problem.hasPrefix("acme/event-counter: event-counter@1.0.0: "), "\(problem)")
            #expect(problem.contains("not the registry's"), "\(problem)")

            // One failed execution with moduleRefused, for the first waiting event, as `plugin run` records one.
            let recorded = try executions(runtime)
            let execution = try #require(recorded.first)
            #expect(recorded.count == 1)
            #expect(execution.state == .failed)
            #expect(execution.errorKind == "moduleRefused")
            #expect(execution.action == "on_event")
            #expect(problem.contains("recorded as the failed execution \(execution.id)"), "\(problem)")
            #expect(problem.contains("the event at offset \(offsets[0]) waits"), "\(problem)")
            let events = try executionEvents(store, execution.id)
            #expect(events.map(\.type) == ["plugin_action_initiated", "plugin_action_failed"])
            #expect(events.last?.metadata["errorKind"]?.stringValue == "moduleRefused")
            let trigger = try #require(events.first?.metadata["trigger"])
            #expect(trigger["kind"]?.stringValue == "event")
            #expect(trigger["eventOffset"]?.int64Value == Int64(offsets[0]))
            #expect(events.allSatisfy { $0.actorId == "dispatcher" && $0.groupId == "acme" })

            // The cursor holds: the events are neither consumed nor dead-lettered.
            #expect(try dispatcher.subscriptions().first?.position == before.position)
            #expect(try PluginDispatcher.deadLetters(store, organization: "acme").isEmpty)

            // Later passes, by this dispatcher or a new one (as after a restart), write nothing more.
            let head = try store.head().offset
            #expect(try await dispatcher.runOnce().problems == report.problems)
            let restarted = PluginDispatcher(runtime: PluginRuntime(store: store), backoff: .milliseconds(1))
            #expect(try await restarted.runOnce().problems == report.problems)
            #expect(try store.head().offset == head)
            #expect(try executions(runtime).map(\.id) == [execution.id])
            #expect(try dispatcher.subscriptions().first?.position == before.position)

            // Fixed, the artifact runs: both events are delivered and the cursor moves past them.
            try original.write(to: URL(fileURLWithPath: artifact))
            let resumed = try await dispatcher.runOnce()
            #expect(resumed.delivered == 2)
            #expect(resumed.problems.isEmpty)
            #expect(try store.thing("kv:acme:event-counter")?.properties["count:order.created"]?.stringValue == "2")
            #expect(try #require(try dispatcher.subscriptions().first).position >= offsets[1])
            let after = try executions(runtime)
            #expect(after.count == 3)
            #expect(after.filter { $0.state == .executed }.count == 2)
            #expect(after.filter { $0.errorKind == "moduleRefused" }.map(\.id) == [execution.id])
        }
    }

    @Test("with nothing waiting to be delivered, a refused module is reported and nothing is recorded")
    func refusalWithNothingToDeliver() async throws {
        try await withCopiedPlugins { runtime, artifact in
            _ = try await runtime.store.append(NewEvent(type: "invoice.created", groupId: "acme"))
            _ = try runtime.store.sync()
            try Data([0]).write(to: URL(fileURLWithPath: artifact))
            let report = try await PluginDispatcher(runtime: runtime).runOnce()
            #expect(report.problems.count == 1)
            #expect(report.problems.first?.contains("recorded as") == false, "\(report.problems)")
            #expect(try executions(runtime).isEmpty)
        }
    }

    @Test("refusal ids are name-based (version 5) UUIDs, distinct per version and per event")
    func refusalIDs() throws {
        // RFC 9562, appendix A.4: "www.example.com" in the DNS namespace.
        let dns = try #require(UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8"))
        #expect(UUID(named: "www.example.com", in: dns).lowercasedString == "2ed6657d-e927-568b-95e1-2665a8aea6a2")

        let subscription = PluginSubscription(
            organization: "acme", plugin: "event-counter", version: "1.0.0", patterns: ["order.*"],
            subscribedOffsets: ["order.*": 1], cursor: "plugin:acme:event-counter", installedOffset: 1, position: 1,
            deadLetters: 0)
        func event(_ offset: UInt64) -> RecordedEvent {
            RecordedEvent(
                offset: offset, id: UUID(), type: "order.created", actorId: nil, targetId: nil, groupId: "acme",
                timestamp: 0, version: 0, metadataJSON: Array("{}".utf8))
        }
        let id = PluginDispatcher.refusalID(event(7), subscription, version: "1.0.0")
        #expect(id == PluginDispatcher.refusalID(event(7), subscription, version: "1.0.0"))
        #expect(id != PluginDispatcher.refusalID(event(8), subscription, version: "1.0.0"))
        #expect(id != PluginDispatcher.refusalID(event(7), subscription, version: "1.0.1"))
        #expect(Array(id)[14] == "5")
        let initiated = PluginRuntime.refusalEventID(id, type: ExecutionEventType.initiated)
        let failed = PluginRuntime.refusalEventID(id, type: ExecutionEventType.failed)
        #expect(initiated != failed)
        #expect(![initiated, failed].contains { $0.lowercasedString == id })
    }
}
