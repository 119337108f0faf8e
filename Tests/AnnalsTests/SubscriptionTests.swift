import Foundation
import Testing

@testable import Annals

@Suite struct SubscriptionTests {
    /// Collects `count` events from `subscription`, failing after `seconds`.
    private func take(_ count: Int, from subscription: Subscription, seconds: Double = 300) async throws
        -> [RecordedEvent]
    {
        try await withThrowingTaskGroup(of: [RecordedEvent]?.self) { group in
            group.addTask {
                var out: [RecordedEvent] = []
                for try await event in subscription {
                    out.append(event)
                    if out.count == count { break }
                }
                return out
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            return try #require(first, "timed out waiting for \(count) events")
        }
    }

    @Test func catchesUpThenGoesLive() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<1200).map { sampleEvent($0) })
            let subscription = try store.subscribe()
            let live = Task {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await store.append(contentsOf: (0..<5).map { sampleEvent($0, type: "late.event") })
            }
            let events = try await take(1205, from: subscription)
            try await live.value
            #expect(events.map(\.offset) == Array(1...1205))
            #expect(events.suffix(5).allSatisfy { $0.type == "late.event" })
        }
    }

    @Test func filtersByGlobTargetGroupAndActor() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<400).map { sampleEvent($0) })
            let all = try store.events().collect()
            let filters = [
                EventFilter(types: ["item.*"]),
                EventFilter(types: ["*_executed", "link.created"]),
                EventFilter(types: ["item.up?ated"], groupId: "org-1"),
                EventFilter(targetId: "thing-3", actorId: "user-2"),
            ]
            for filter in filters {
                let expected = all.filter(filter.matches)
                let got = try await take(expected.count, from: try store.subscribe(filter: filter))
                #expect(got == expected)
            }
            #expect(EventFilter.glob("a*b?c", matches: "axxbyc"))
            #expect(!EventFilter.glob("a*b?c", matches: "axxbc"))
            #expect(throws: AnnalsError.self) { try store.subscribe(filter: EventFilter(types: ["bad type"])) }
            #expect(throws: AnnalsError.self) { try store.subscribe("bad name") }
        }
    }

    @Test func severalSubscribersRunAtOnce() async throws {
        try await withStore { store, _ in
            let producer = Task {
                for batch in 0..<20 {
                    _ = try await store.append(contentsOf: (0..<50).map { sampleEvent(batch * 50 + $0) })
                }
            }
            async let everything = take(1000, from: try store.subscribe())
            async let updates = take(250, from: try store.subscribe(filter: EventFilter(types: ["item.updated"])))
            async let org = take(334, from: try store.subscribe(filter: EventFilter(groupId: "org-0")))
            let (a, b, c) = try await (everything, updates, org)
            try await producer.value
            #expect(a.map(\.offset) == Array(1...1000))
            #expect(b.allSatisfy { $0.type == "item.updated" } && b.count == 250)
            #expect(c.allSatisfy { $0.groupId == "org-0" })
        }
    }

    @Test func aNamedSubscriptionResumesAfterItsAcknowledgement() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<100).map { sampleEvent($0) })
            let first = try await take(40, from: try store.subscribe("worker"))
            try store.acknowledge("worker", through: first.last!.offset)
            try store.acknowledge("worker", through: 10)  // never moves back
            let cursor = try #require(try store.cursor(named: "worker"))
            #expect(cursor.offset == 40 && cursor.lag == 60 && cursor.acknowledgedAt > 0)
            let resumed = try await take(60, from: try store.subscribe("worker"))
            #expect(resumed.first?.offset == 41)
            try store.resetCursor("worker", to: 5)
            #expect(try await take(1, from: try store.subscribe("worker")).first?.offset == 6)
            #expect(try store.cursors().map(\.name) == ["worker"])
            #expect(try store.deleteCursor("worker"))
            #expect(try store.cursor(named: "worker") == nil)
            #expect(!(try store.deleteCursor("worker")))
        }
    }

    @Test func creatingACursorThatExistsLeavesItWhereItIs() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<20).map { sampleEvent($0) })
            let created = try store.createCursor("tailer", at: 4)
            #expect(created.offset == 4 && created.lag == 16)
            #expect(created.acknowledgedAt == 0 && created.createdAt > 0, "created, never acknowledged")
            #expect(try store.cursor(named: "tailer")?.acknowledgedAt == 0)
            try store.acknowledge("tailer", through: 12)
            #expect(try store.cursor(named: "tailer")!.acknowledgedAt >= created.createdAt)
            // A second consumer starting on the same new cursor finds the first one's progress, not its own start.
            #expect(try store.createCursor("tailer", at: 0).offset == 12)
            #expect(try store.cursor(named: "tailer")?.offset == 12)
            #expect(try store.cursor(named: "tailer")?.createdAt == created.createdAt)
        }
    }

    @Test func aConditionalAcknowledgementKeepsAResetOrDeleteMadeMeanwhile() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<20).map { sampleEvent($0) })
            // A cursor that does not exist was not read by anyone: a conditional acknowledgement refuses it.
            #expect(throws: AnnalsError.cursorMoved(name: "c", offset: nil)) {
                try store.acknowledge("c", through: 8, expectingResets: 0)
            }
            // Two consumers start on the cursor and read the same resets count.
            let first = try store.createCursor("c", at: 0)
            let second = try #require(try store.cursor(named: "c"))
            #expect(first.resets == 0 && second.resets == 0)
            try store.acknowledge("c", through: 8, expectingResets: first.resets)
            // The other consumer's acknowledgements do not count: it moved the cursor forward, and it never moves
            // back.
            try store.acknowledge("c", through: 15, expectingResets: second.resets)
            try store.acknowledge("c", through: 12, expectingResets: first.resets)
            #expect(try store.cursor(named: "c")?.offset == 15)
            // A reset, even to an offset past the first consumer's (where comparing offsets would miss it): both
            // consumers' acknowledgements are refused and the reset stays.
            try store.resetCursor("c", to: 13)
            #expect(try store.cursor(named: "c")?.resets == 1)
            for resets in [first.resets, second.resets] {
                #expect(throws: AnnalsError.cursorMoved(name: "c", offset: 13)) {
                    try store.acknowledge("c", through: 18, expectingResets: resets)
                }
            }
            #expect(try store.cursor(named: "c")?.offset == 13)
            // A consumer that read the cursor after the reset acknowledges; a deletion stops it, and the cursor is
            // not created again; one created again under the name keeps counting.
            try store.acknowledge("c", through: 16, expectingResets: 1)
            #expect(try store.deleteCursor("c"))
            #expect(throws: AnnalsError.cursorMoved(name: "c", offset: nil)) {
                try store.acknowledge("c", through: 18, expectingResets: 1)
            }
            #expect(try store.cursor(named: "c") == nil)
            #expect(try store.createCursor("c", at: 0).resets == 2)
            #expect(throws: AnnalsError.cursorMoved(name: "c", offset: 0)) {
                try store.acknowledge("c", through: 18, expectingResets: 1)
            }
            let message = AnnalsError.cursorMoved(name: "c", offset: 4).description
            #expect(message.contains("was reset (it is at offset 4 now)"), "\(message)")
        }
    }

    @Test func noCursorMovesPastTheLastOffset() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<5).map { sampleEvent($0) })
            try store.acknowledge("c", through: 3)
            func refusesPastTheHead(_ body: () async throws(AnnalsError) -> Void) async {
                do {
                    try await body()
                    Issue.record("an offset past the head was accepted")
                } catch {
                    guard case .invalidArgument(let message) = error else {
                        Issue.record("expected invalidArgument, got \(error)")
                        return
                    }
                    #expect(message.contains("the log ends at offset 5"), "\(message)")
                }
            }
            await refusesPastTheHead { () throws(AnnalsError) in try store.acknowledge("c", through: 6) }
            await refusesPastTheHead { () throws(AnnalsError) in try store.resetCursor("c", to: 1_000_000) }
            await refusesPastTheHead { () throws(AnnalsError) in _ = try store.createCursor("new", at: 6) }
            // The acknowledgement may cover the batch's own events, not more.
            await refusesPastTheHead { () async throws(AnnalsError) in
                _ = try await store.append(contentsOf: [], acknowledging: "c", through: 6)
            }
            do {
                _ = try await store.append(contentsOf: [sampleEvent(9)], acknowledging: "c", through: 7)
                Issue.record("an acknowledgement past the batch was accepted")
            } catch {
                guard case .invalidArgument = error as? AnnalsError else { throw error }
            }
            #expect(try store.head().offset == 5, "the refused batch wrote nothing")
            #expect(try store.cursor(named: "c")?.offset == 3)
            #expect(try store.cursor(named: "new") == nil)
            _ = try await store.append(contentsOf: [sampleEvent(9)], acknowledging: "c", through: 6)
            #expect(try store.cursor(named: "c")?.offset == 6)
            try store.resetCursor("c", to: 6)
            #expect(try store.createCursor("new", at: 6).offset == 6)
        }
    }

    @Test func aNamedSubscriptionTellsTheResetsCountItStartedWith() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<6).map { sampleEvent($0) })
            try store.resetCursor("worker", to: 2)
            var iterator = try store.subscribe("worker").makeAsyncIterator()
            #expect(iterator.startCursor == nil, "read on the first next()")
            let first = try #require(try await iterator.next())
            #expect(first.offset == 3)
            let cursor = try #require(iterator.startCursor)
            #expect(cursor.offset == 2 && cursor.resets == 1)
            try store.acknowledge("worker", through: first.offset, expectingResets: cursor.resets)
            // Reset meanwhile: this consumer's next acknowledgement is refused and the reset is kept.
            try store.resetCursor("worker", to: 0)
            let second = try #require(try await iterator.next())
            #expect(throws: AnnalsError.cursorMoved(name: "worker", offset: 0)) {
                try store.acknowledge("worker", through: second.offset, expectingResets: cursor.resets)
            }
            var anonymous = try store.subscribe(nil, start: .beginning).makeAsyncIterator()
            _ = try await anonymous.next()
            #expect(anonymous.startCursor == nil)
        }
    }

    @Test func effectsAndAcknowledgementCommitTogether() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0, target: "in") })
            var processed = 0
            for try await event in try store.subscribe("counter", filter: EventFilter(targetId: "in")) {
                _ = try await store.append(
                    contentsOf: [
                        NewEvent(type: "counted", targetId: "out", metadata: ["source": .integer(event.offset)])
                    ],
                    acknowledging: "counter", through: event.offset)
                processed += 1
                if processed == 10 { break }
            }
            #expect(try store.cursor(named: "counter")?.offset == 10)
            #expect(try store.version(of: "out") == 10)
            // A failed effect does not acknowledge.
            await #expect(throws: AnnalsError.self) {
                try await store.append(
                    contentsOf: [NewEvent(type: "counted", targetId: "out", expectedVersion: 3)],
                    acknowledging: "counter", through: 11)
            }
            #expect(try store.cursor(named: "counter")?.offset == 10)
            _ = try await store.append(contentsOf: [], acknowledging: "counter", through: 12)
            #expect(try store.cursor(named: "counter")?.offset == 12)
        }
    }

    /// An exactly-once consumer's conditional batch: a reset made meanwhile fails that batch alone (its events are not
    /// written, the reset stands), and batches of the same group commit.
    @Test func aConditionalEffectBatchKeepsAResetMadeMeanwhile() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0, target: "in") })
            let cursor = try store.createCursor("exact", at: 0)
            _ = try await store.append(
                contentsOf: [NewEvent(type: "counted", targetId: "out")], acknowledging: "exact", through: 5,
                expectingResets: cursor.resets)
            #expect(try store.cursor(named: "exact")?.offset == 5)
            try store.resetCursor("exact", to: 2)
            // Submitted together, so that they are likely to share a group commit.
            let stale = Task {
                try await store.append(
                    contentsOf: [NewEvent(type: "counted", targetId: "out")], acknowledging: "exact", through: 8,
                    expectingResets: cursor.resets)
            }
            let other = Task { try await store.append(NewEvent(type: "unrelated", targetId: "elsewhere")) }
            await #expect(throws: AnnalsError.cursorMoved(name: "exact", offset: 2)) { _ = try await stale.value }
            #expect(try await other.value.version == 1)
            #expect(try store.cursor(named: "exact")?.offset == 2)
            #expect(try store.version(of: "out") == 1)
            let current = try #require(try store.cursor(named: "exact"))
            _ = try await store.append(
                contentsOf: [NewEvent(type: "counted", targetId: "out")], acknowledging: "exact", through: 3,
                expectingResets: current.resets)
            #expect(try store.cursor(named: "exact")?.offset == 3)
            #expect(try store.version(of: "out") == 2)
        }
    }

    @Test func aCursorOnAnEmptyStoreWaitsAndStartsFromTheEnd() async throws {
        try await withStore { store, _ in
            #expect(try store.cursors().isEmpty)
            let fromEnd = try store.subscribe("late", start: .end)
            let task = Task { try await take(1, from: fromEnd) }
            try await Task.sleep(for: .milliseconds(50))
            _ = try await store.append(sampleEvent(1))
            #expect(try await task.value.first?.offset == 1)
        }
    }

    /// A named subscription saves a new cursor at its start: a consumer that stops before acknowledging anything
    /// resumes from there, instead of from a later end that skips what came in between.
    @Test func aNewNamedSubscriptionSavesItsStart() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<3).map { sampleEvent($0) })
            let first = try store.subscribe("late", start: .end)
            let task = Task { try await take(1, from: first) }
            try #require(try await waitForCursor("late", in: store) == 3, "saved at the end as of subscribe")
            _ = try await store.append(sampleEvent(3))
            #expect(try await task.value.map(\.offset) == [4])
            // The consumer stopped without acknowledging; more events came meanwhile.
            _ = try await store.append(sampleEvent(4))
            let again = try await take(2, from: try store.subscribe("late", start: .end))
            #expect(again.map(\.offset) == [4, 5], "nothing after the saved start is skipped")
            // Past the head, as for createCursor.
            var past = try store.subscribe("ahead", start: .after(99)).makeAsyncIterator()
            await #expect(throws: AnnalsError.self) { _ = try await past.next() }
            #expect(try store.cursor(named: "ahead") == nil)
        }
    }

    /// Polls until cursor `name` exists; returns its offset.
    private func waitForCursor(_ name: String, in store: EventStore) async throws -> UInt64? {
        for _ in 0..<500 {
            if let cursor = try store.cursor(named: name) { return cursor.offset }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    @Test func aSlowConsumerBoundsWhatIsBuffered() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<3000).map { sampleEvent($0) })
            var iterator = try store.subscribe().makeAsyncIterator()
            var count = 0
            while count < 1500, let event = try await iterator.next() {
                count += 1
                #expect(event.offset == UInt64(count))
                // The iterator never reads past one chunk beyond what was consumed.
                #expect(iterator.lastPosition! <= UInt64(count + Subscription.Iterator.chunkSize))
            }
        }
    }

    @Test func cancellationEndsTheSequence() async throws {
        try await withStore { store, _ in
            let subscription = try store.subscribe()
            let task = Task { () -> Int in
                var n = 0
                for try await _ in subscription { n += 1 }
                return n
            }
            try await Task.sleep(for: .milliseconds(50))
            task.cancel()
            #expect(try await task.value == 0)
        }
    }
}
