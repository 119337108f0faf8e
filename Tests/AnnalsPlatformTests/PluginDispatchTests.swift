import Annals
import AnnalsPlatform
import AnnalsSandbox
import Foundation
import Testing

@Suite("Event-driven plugins")
struct PluginDispatchTests {
    /// Appends `count` order events in `group` and syncs the store (opened `.noSync`), since only durable events are
    /// delivered.
    @discardableResult
    func orders(_ store: EventStore, _ count: Int, group: String = "acme") async throws -> UInt64 {
        let last = try await store.append(
            contentsOf: (0..<count).map { i in
                NewEvent(type: "order.created", targetId: "order-\(i)", groupId: group, metadata: ["n": .integer(i)])
            }
        ).last!.offset
        _ = try store.sync()
        return last
    }

    @Test("only durable events are delivered")
    func onlyDurableEventsAreDelivered() async throws {
        try await withRuntime(installing: ["event-counter"], syncInterval: 3_600) { runtime, _, _ in
            try await orders(runtime.store, 2)
            // Committed but not yet synced: a crash could still take it back.
            _ = try await runtime.store.append(NewEvent(type: "order.created", targetId: "order-9", groupId: "acme"))
            let dispatcher = PluginDispatcher(runtime: runtime, backoff: .milliseconds(1))
            #expect(try await dispatcher.runOnce().delivered == 2)
            _ = try runtime.store.sync()
            #expect(try await dispatcher.runOnce().delivered == 1)
            #expect(try count(runtime.store) == "3")
        }
    }

    /// The counter the event-counter plugin keeps for `order.created` in `org`.
    func count(_ store: EventStore, org: String = "acme") throws -> String? {
        try store.thing("kv:\(org):event-counter")?.properties["count:order.created"]?.stringValue
    }

    @Test("a subscriber is recorded as subscribes_to, receives its organization's matching events, and resumes")
    func deliveryAndResume() async throws {
        try await withRuntime(installing: ["event-counter"]) { runtime, platform, _ in
            let edges = try platform.store.connections(ConnectionFilter(connectionType: "subscribes_to", limit: 10))
            #expect(edges.map(\.toId) == ["event-type:acme:order.*"])
            try await orders(runtime.store, 3)
            try await orders(runtime.store, 2, group: "beta")
            _ = try await runtime.store.append(NewEvent(type: "invoice.created", groupId: "acme"))
            let dispatcher = PluginDispatcher(runtime: runtime, backoff: .milliseconds(1))
            #expect(try await dispatcher.runOnce().delivered == 3)
            #expect(try count(runtime.store) == "3")
            #expect(try await dispatcher.runOnce().delivered == 0)  // nothing twice

            // A new dispatcher (as after a restart) continues from the durable cursor.
            let last = try await orders(runtime.store, 4)
            let restarted = PluginDispatcher(runtime: PluginRuntime(store: runtime.store), backoff: .milliseconds(1))
            #expect(try await restarted.runOnce().delivered == 4)
            #expect(try count(runtime.store) == "7")
            let subscription = try #require(try restarted.subscriptions().first)
            #expect(subscription.cursor == "plugin:acme:event-counter")
            #expect(subscription.position >= last)
        }
    }

    @Test("with checksPages, a damaged page of the events to deliver fails the pass instead of crashing it")
    func damagedPagesFailThePass() async throws {
        try await withRuntime(installing: ["event-counter"]) { runtime, _, directory in
            let last = try await orders(runtime.store, 3)
            // Later events, so that the orders' page is not on the path to the head, which every pass reads.
            _ = try await runtime.store.append(
                contentsOf: (0..<400).map { i in
                    NewEvent(type: "invoice.created", targetId: "invoice-\(i)", metadata: ["n": .integer(i)])
                })
            let hash = try #require(try runtime.store.verify(from: last, to: last).lastHash)
            // The high byte of the first node offset of every page holding the record's chain tag: past the page.
            let file = try FileHandle(forUpdating: URL(fileURLWithPath: directory + "/store/data.mdb"))
            defer { try? file.close() }
            let data = try file.readToEnd() ?? Data()
            var start = 0
            var pages = Set<Int>()
            while let found = data.range(of: Data(hash.bytes.prefix(16)), in: start..<data.count) {
                pages.insert(found.lowerBound / 4_096)
                start = found.upperBound
            }
            try #require(!pages.isEmpty)
            for page in pages {
                try file.seek(toOffset: UInt64(page * 4_096 + 17))
                try file.write(contentsOf: [data[page * 4_096 + 17] ^ 0x80])
            }

            var dispatcher = PluginDispatcher(runtime: runtime, backoff: .milliseconds(1))
            dispatcher.checksPages = true
            await #expect {
                try await dispatcher.runOnce()
            } throws: { error in
                guard case PlatformError.store(.storage(let cause)) = error else { return false }
                return cause.code == .corrupted && (cause.detail ?? "").contains("the log's pages are damaged")
            }
        }
    }

    @Test("a handler that keeps failing is retried with backoff, then dead-lettered, and delivery moves on")
    func deadLetters() async throws {
        try await withRuntime(installing: ["flaky-counter", "event-counter"]) { runtime, _, _ in
            try await orders(runtime.store, 2)
            let dispatcher = PluginDispatcher(runtime: runtime, maxAttempts: 3, backoff: .milliseconds(1))
            let report = try await dispatcher.runOnce()
            #expect(report.deadLettered == 2)
            #expect(report.retried == 4)
            #expect(try count(runtime.store) == "2")  // the other subscriber is unaffected
            let letters = try PluginDispatcher.deadLetters(runtime.store, organization: "acme")
            #expect(letters.count == 2)
            #expect(letters.allSatisfy { $0.plugin == "flaky-counter" && $0.attempts == 3 && $0.errorKind == "trap" })
            #expect(try await dispatcher.runOnce() == PluginDispatcherReportZero.value)
            let retried = try await dispatcher.retryDeadLetters()
            #expect(retried.refusal == nil)
            #expect(retried.letters.allSatisfy { !$0.resolved && $0.attempts == 4 })
        }
    }

    /// One order that flaky-counter fails twice: the dispatcher (2 attempts) and acme's dead letter it leaves.
    private func oneDeadLetter(_ runtime: PluginRuntime) async throws -> (
        dispatcher: PluginDispatcher, letter: DeadLetter
    ) {
        try await orders(runtime.store, 1)
        let dispatcher = PluginDispatcher(runtime: runtime, maxAttempts: 2, backoff: .milliseconds(1))
        #expect(try await dispatcher.runOnce().deadLettered == 1)
        return (dispatcher, try #require(try PluginDispatcher.deadLetters(runtime.store, organization: "acme").first))
    }

    @Test("a failed retry is recorded on its dead letter: one attempt more and the latest failure, each time")
    func failedRetriesAreRecorded() async throws {
        try await withRuntime(installing: ["flaky-counter"]) { runtime, _, _ in
            let store = runtime.store
            let (dispatcher, letter) = try await oneDeadLetter(runtime)
            #expect(letter.attempts == 2 && letter.errorKind == "trap")

            // The handler still traps: the retry returns, and a listing then shows, one attempt more.
            let first = try await dispatcher.retryDeadLetters().letters
            #expect(first.map(\.attempts) == [3])
            #expect(first.map(\.resolved) == [false])
            #expect(try PluginDispatcher.deadLetters(store, organization: "acme") == first)
            let records = try store.stream(letter.id).collect()
            #expect(records.map(\.type) == ["plugin_dead_letter", "plugin_dead_letter"])
            #expect(records.allSatisfy { $0.groupId == "acme" && $0.actorId == "dispatcher" })
            let copied = ["plugin", "version", "eventOffset", "eventId", "eventType", "idempotencyKey"]
            #expect(copied.allSatisfy { records[1].metadata[$0] == records[0].metadata[$0] })
            #expect(records[1].metadata["attempts"]?.int64Value == 3)
            // The record names the retry's execution, whose failure it repeats.
            let execution = try #require(records[1].metadata["correlationId"]?.stringValue)
            let failed = try #require(try executionEvents(store, execution).last)
            #expect(failed.type == "plugin_action_failed")
            #expect(failed.metadata["error"]?.stringValue == first.first?.error)

            // Out of fuel this time: the listing shows that failure, and one attempt more again.
            let starved = PluginDispatcher(
                runtime: PluginRuntime(store: store, limits: SandboxLimits(fuel: 1)), actorId: "ops")
            let second = try await starved.retryDeadLetters().letters
            #expect(second.map(\.attempts) == [4])
            #expect(second.first?.errorKind == "outOfFuel")
            #expect(second.first?.error.contains("fuel") == true, "\(second)")
            let listed = try PluginDispatcher.deadLetters(store, organization: "acme")
            #expect(listed == second)
            #expect(listed.first?.id == letter.id && listed.first?.eventOffset == letter.eventOffset)
            // Still one dead letter, wherever they are counted.
            #expect(try dispatcher.subscriptions().first?.deadLetters == 1)
            #expect(try await dispatcher.runOnce() == PluginDispatcherReportZero.value)
        }
    }

    @Test("two retries of one dead letter at once count two attempts, neither overwriting the other's")
    func concurrentRetriesCountEachAttempt() async throws {
        try await withRuntime(installing: ["flaky-counter"]) { runtime, _, _ in
            let (dispatcher, letter) = try await oneDeadLetter(runtime)
            // Both read the letter at 2 attempts before either records its failure: the second to record is
            // counted after the first.
            async let first = dispatcher.retryDeadLetters()
            async let second = dispatcher.retryDeadLetters()
            let seen = try await [first.letters, second.letters].flatMap { $0 }.map(\.attempts).sorted()
            #expect(seen.last == 4, "\(seen)")
            let records = try runtime.store.stream(letter.id).collect()
            #expect(records.map { $0.metadata["attempts"]?.int64Value } == [2, 3, 4])
            #expect(try PluginDispatcher.deadLetters(runtime.store, organization: "acme").map(\.attempts) == [4])
        }
    }

    @Test("a resolved dead letter whose event fails again (its cursor reset) is listed unresolved")
    func aResolvedLetterThatFailsAgainIsUnresolved() async throws {
        try await withRuntime(installing: ["flaky-counter"]) { runtime, _, _ in
            let store = runtime.store
            let letter = try await oneDeadLetter(runtime).letter
            let first = try #require(try store.stream(letter.id).collect().first)
            // Resolved by a retry; then the event is delivered again and dead-lettered anew, on the same stream.
            _ = try await store.append(
                NewEvent(
                    type: ExecutionEventType.deadLetterResolved, actorId: "ops", targetId: letter.id, groupId: "acme",
                    metadata: ["correlationId": "e-1"]))
            #expect(try PluginDispatcher.deadLetters(store, organization: "acme").first?.resolved == true)
            var again = first.metadata.objectValue ?? [:]
            again["errorKind"] = "timeout"
            _ = try await store.append(
                NewEvent(
                    type: ExecutionEventType.deadLetter, actorId: "dispatcher", targetId: letter.id, groupId: "acme",
                    metadata: .object(again)))
            let listed = try #require(try PluginDispatcher.deadLetters(store, organization: "acme").first)
            #expect(!listed.resolved)
            #expect(listed.errorKind == "timeout")
            #expect(try PluginDispatcher.deadLetters(store, organization: "acme").count == 1)
        }
    }

    @Test("with one attempt per event, the dead letter records that attempt's failure")
    func singleAttemptDeadLetter() async throws {
        try await withRuntime(installing: ["flaky-counter"]) { runtime, _, _ in
            try await orders(runtime.store, 1)
            let starved = PluginRuntime(store: runtime.store, limits: SandboxLimits(fuel: 1))
            let report = try await PluginDispatcher(runtime: starved, maxAttempts: 1).runOnce()
            #expect(report.deadLettered == 1 && report.retried == 0)
            let letter = try #require(try PluginDispatcher.deadLetters(runtime.store, organization: "acme").first)
            #expect(letter.attempts == 1)
            #expect(letter.errorKind == "outOfFuel")
            let failed = try runtime.jobs(organization: "acme").filter { $0.errorKind == "outOfFuel" }
            #expect(failed.count == 1)
            let execution = try #require(failed.first?.id)
            let outcome = try #require(try executionEvents(runtime.store, execution).last)
            #expect(outcome.metadata["error"]?.stringValue == letter.error)
        }
    }

    @Test("each delivery carries an idempotency key that is the same for every attempt")
    func idempotencyKeys() async throws {
        try await withRuntime(installing: ["flaky-counter"]) { runtime, _, _ in
            try await orders(runtime.store, 1)
            _ = try await PluginDispatcher(runtime: runtime, maxAttempts: 2, backoff: .milliseconds(1)).runOnce()
            var query = EventQuery()
            query.types = ["plugin_action_initiated"]
            let keys = try runtime.store.events(query).collect().compactMap {
                $0.metadata["trigger"]?["idempotencyKey"]?.stringValue
            }
            #expect(keys.count == 2)
            #expect(Set(keys).count == 1)
        }
    }
}

/// An empty dispatch report, for comparisons.
enum PluginDispatcherReportZero {
    static let value = PluginDispatcher.Report()
}
