import Foundation
import Testing

@testable import Annals

/// Where a subscription starts: an `.after` offset past the log's last offset is refused, as cursors refuse it,
/// instead of waiting (for ever, for `.after(UInt64.max)`) and skipping the events appended until the log got there;
/// the start point (offset and cursor) is known to the subscription itself, so a `for` loop can read it.
@Suite struct SubscriptionStartTests {
    private func startPastTheLog(_ offset: UInt64, last: UInt64) -> AnnalsError {
        .invalidArgument(
            "a subscription cannot start after offset \(offset): the log ends at offset \(last), and a start past it "
                + "would skip the events appended until the log reaches it (.end delivers only new events)")
    }

    @Test func anAnonymousSubscriptionPastTheLogIsRefused() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<3).map { sampleEvent($0) })
            #expect(throws: startPastTheLog(.max, last: 3)) { _ = try store.subscribe(nil, start: .after(.max)) }
            #expect(throws: startPastTheLog(4, last: 3)) { _ = try store.subscribe(nil, start: .after(4)) }
            // After the last offset itself: only new events.
            var iterator = try store.subscribe(nil, start: .after(3)).makeAsyncIterator()
            _ = try await store.append(sampleEvent(3))
            #expect(try await iterator.next()?.offset == 4)
        }
    }

    @Test func aNamedSubscriptionPastTheLogIsRefusedByItsFirstNext() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<3).map { sampleEvent($0) })
            var iterator = try store.subscribe("ahead", start: .after(.max)).makeAsyncIterator()
            let refused = AnnalsError.invalidArgument(
                "cursor 'ahead' cannot be created at offset \(UInt64.max): the log ends at offset 3, and a cursor past "
                    + "it would skip the events appended until the log reaches it")
            await #expect(throws: refused) { _ = try await iterator.next() }
            #expect(try store.cursor(named: "ahead") == nil, "no cursor was created")
            // A cursor that exists decides the start: the offset given for a new one does not matter.
            try store.resetCursor("ahead", to: 2)
            var resumed = try store.subscribe("ahead", start: .after(.max)).makeAsyncIterator()
            #expect(try await resumed.next()?.offset == 3)
        }
    }

    @Test func aNamedSubscriptionOfAReadOnlyStorePastTheLogIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let writer = try EventStore(path: path, options: StoreOptions(projections: []))
            _ = try await writer.append(contentsOf: (0..<3).map { sampleEvent($0) })
            writer.close()
            let reader = try EventStore(path: path, options: StoreOptions(readOnly: true, projections: []))
            defer { reader.close() }
            var iterator = try reader.subscribe("reader", start: .after(1_000)).makeAsyncIterator()
            await #expect(throws: startPastTheLog(1_000, last: 3)) { _ = try await iterator.next() }
            var fromTheLast = try reader.subscribe("reader", start: .after(2)).makeAsyncIterator()
            #expect(try await fromTheLast.next()?.offset == 3)
        }
    }

    @Test func aForLoopReadsItsStartCursorFromTheSubscription() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<4).map { sampleEvent($0) })
            try store.resetCursor("worker", to: 1)
            let subscription = try store.subscribe("worker")
            #expect(subscription.startCursor == nil, "resolved by the first next()")
            var delivered: [UInt64] = []
            for try await event in subscription {
                let cursor = try #require(subscription.startCursor)
                #expect(cursor.offset == 1 && cursor.resets == 1)
                try store.acknowledge("worker", through: event.offset, expectingResets: cursor.resets)
                delivered.append(event.offset)
                if event.offset == 3 { break }
            }
            #expect(delivered == [2, 3])
            // Iterating again resolves a new start: after what was acknowledged meanwhile.
            for try await event in subscription {
                #expect(event.offset == 4)
                break
            }
            #expect(subscription.startCursor?.offset == 3)
            #expect(
                try await subscription.startPoint()
                    == SubscriptionStartPoint(offset: 3, cursor: subscription.startCursor))
        }
    }

    @Test func aStartPointResolvedAheadIsWhereTheIterationStarts() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<3).map { sampleEvent($0) })
            let subscription = try store.subscribe("late", start: .end)
            let point = try await subscription.startPoint()
            #expect(point.offset == 3)
            #expect(point.cursor?.offset == 3, "the new cursor was saved at the start")
            #expect(try store.cursor(named: "late")?.offset == 3)
            #expect(try await subscription.startPoint() == point, "asked again, the same")
            _ = try await store.append(sampleEvent(3))
            var iterator = subscription.makeAsyncIterator()
            #expect(try await iterator.next()?.offset == 4)
            #expect(iterator.startCursor == point.cursor)

            let anonymous = try store.subscribe(nil, start: .after(2))
            #expect(try await anonymous.startPoint() == SubscriptionStartPoint(offset: 2, cursor: nil))
            #expect(anonymous.startCursor == nil)
        }
    }

    /// A subscription keeps the start it was given: `.end` stays `.end`, and the offset it stood for when
    /// `subscribe` was called (the durable one) is `startOffset`, which an event appended before the first `next()`
    /// is delivered after.
    @Test func anEndStartIsKeptAndItsOffsetIsFixedAtSubscribe() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<3).map { sampleEvent($0) })
            let fromEnd = try store.subscribe(nil, start: .end)
            #expect(fromEnd.start == .end)
            #expect(fromEnd.startOffset == 3)
            _ = try await store.append(sampleEvent(3))
            var iterator = fromEnd.makeAsyncIterator()
            #expect(try await iterator.next()?.offset == 4, "the end as of subscribe, not as of the first next()")
            let point = try await fromEnd.startPoint()
            #expect(fromEnd.startCursor == nil && point.offset == 3)

            let named = try store.subscribe("late", start: .end)
            #expect(named.start == .end && named.startOffset == 4)
            let namedPoint = try await named.startPoint()
            #expect(namedPoint.cursor?.offset == 4, "a new cursor is created at startOffset")

            let beginning = try store.subscribe(nil)
            #expect(beginning.start == .beginning && beginning.startOffset == 0)
            let after = try store.subscribe(nil, start: .after(2))
            #expect(after.start == .after(2) && after.startOffset == 2)
        }
    }

    /// A cursor reset to `.end` stops at the durable offset, where a subscription at `.end` starts, not at the last
    /// committed one: events committed but not yet synced are still delivered to its consumer.
    @Test func aCursorResetToTheEndStopsAtTheDurableOffset() async throws {
        try await withStore(StoreOptions(durability: .noSync, syncInterval: 3600, projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<3).map { sampleEvent($0) })
            let head = try store.head()
            try #require(head.offset == 3 && head.durableOffset == 0, "committed, not yet synced: \(head)")
            try store.resetCursor("late", to: .end)
            #expect(try store.cursor(named: "late")?.offset == 0)
            try store.resetCursor("middle", to: .after(2))
            #expect(try store.cursor(named: "middle")?.offset == 2)
            try store.resetCursor("middle", to: .beginning)
            #expect(try store.cursor(named: "middle")?.offset == 0)
            #expect(throws: AnnalsError.self) { try store.resetCursor("ahead", to: .after(4)) }

            _ = try store.sync()
            var iterator = try store.subscribe("late", start: .after(3)).makeAsyncIterator()
            #expect(try await iterator.next()?.offset == 1, "the cursor decides: nothing was skipped")
            try store.resetCursor("late", to: .end)
            #expect(try store.cursor(named: "late")?.offset == 3, "synced, the durable offset is the head")
        }
    }

    /// A reset returns the cursor as its own transaction stored it (the CLI prints it): its offset, its resets counted
    /// and its lag behind the head. Read back afterwards, another process could already have deleted it.
    @Test func aResetReturnsTheCursorItStored() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<5).map { sampleEvent($0) })
            let created = try store.resetCursor("worker", to: 2)
            #expect(created.name == "worker" && created.offset == 2 && created.lag == 3 && created.resets == 1)
            #expect(created.acknowledgedAt > 0 && created.createdAt == created.acknowledgedAt)
            let again = try store.resetCursor("worker", to: .end)
            #expect(again.offset == 5 && again.lag == 0 && again.resets == 2 && again.createdAt == created.createdAt)
            #expect(try store.cursor(named: "worker") == again)
        }
    }

    /// A cursor reset or created at an offset committed but not yet durable makes it durable first: stored past the
    /// durable offset, it would skip the events that reuse the offsets a system crash lost.
    @Test func aCursorSetAmongUnsyncedEventsSyncsThemFirst() async throws {
        try await withStore(StoreOptions(durability: .noSync, syncInterval: 3600, projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<3).map { sampleEvent($0) })
            try #require(try store.head().durableOffset == 0, "committed, not yet synced")
            try store.resetCursor("reset", to: 2)
            #expect(try store.cursor(named: "reset")?.offset == 2)
            #expect(try store.head().durableOffset == 3, "the reset synced what was committed")

            _ = try await store.append(contentsOf: (3..<5).map { sampleEvent($0) })
            try #require(try store.head().durableOffset == 3)
            #expect(try store.createCursor("created", at: 5).offset == 5)
            #expect(try store.head().durableOffset == 5, "creating the cursor synced what was committed")

            _ = try await store.append(contentsOf: [sampleEvent(5)])
            var iterator = try store.subscribe("subscribed", start: .after(6)).makeAsyncIterator()
            _ = try await store.append(contentsOf: [sampleEvent(6)])
            try #require(try store.head().durableOffset == 5)
            #expect(try await iterator.next()?.offset == 7, "its new cursor synced offset 6, and 7 with it")
            #expect(try store.cursor(named: "subscribed")?.offset == 6)
            #expect(throws: AnnalsError.self) { try store.resetCursor("ahead", to: 8) }
        }
    }

    /// A `startPoint()` whose resolution overlaps the start of an iteration (of a copy, in another task) keeps the
    /// iteration's start point rather than recording its older one as waiting: the next iteration would otherwise
    /// start again from there, delivering again what the first one acknowledged.
    @Test func aStartPointResolvedWhileAnIterationBeganDoesNotReplaceIt() {
        let points = SubscriptionStartPoints()
        let began = SubscriptionStartPoint(offset: 5, cursor: nil)
        points.record(began, ahead: false)
        #expect(points.recordAhead(SubscriptionStartPoint(offset: 2, cursor: nil)) == began)
        #expect(points.latest == began)
        #expect(points.takeResolvedAhead() == nil, "the next iteration resolves its own start")
        // With nothing recorded before, the point resolved ahead waits for the iteration.
        let fresh = SubscriptionStartPoints()
        let ahead = SubscriptionStartPoint(offset: 3, cursor: nil)
        #expect(fresh.recordAhead(ahead) == ahead && fresh.takeResolvedAhead() == ahead)
    }
}
