import Testing

@testable import Annals

/// The offsets whose pages a read by offset checks first (`EventStore.checkLogPages(for:)`): exactly those it will
/// return, from the query's range, limit and direction.
@Suite struct ReadPageRangeTests {
    private func range(
        from: UInt64 = 1, to: UInt64 = .max, limit: Int? = nil, reverse: Bool = false, head: UInt64? = nil
    ) -> [ClosedRange<UInt64>] {
        EventStore.offsetsRead(by: EventQuery(from: from, to: to, limit: limit, reverse: reverse), head: head)
    }

    @Test func forwardReadsStartAtFromAndStopAtTheLimit() {
        #expect(range(from: 5) == [5...UInt64.max])
        #expect(range(from: 5, to: 80) == [5...80])
        #expect(range(from: 5, limit: 10) == [5...14])
        #expect(range(from: 5, to: 9, limit: 10) == [5...9])
        #expect(range(from: 2, limit: .max) == [2...(1 << 63)])
        #expect(range(from: .max - 5, limit: 100) == [(UInt64.max - 5)...UInt64.max], "past the last offset")
        #expect(range(from: .max, limit: 3) == [UInt64.max...UInt64.max])
    }

    @Test func reverseReadsWithALimitEndAtTheHeadOrTo() {
        #expect(range(limit: 10, reverse: true, head: 100) == [91...100])
        #expect(range(to: 50, limit: 10, reverse: true, head: 100) == [41...50])
        #expect(range(limit: 200, reverse: true, head: 100) == [1...100])
        #expect(range(from: 95, limit: 10, reverse: true, head: 100) == [95...100])
        #expect(range(from: 200, limit: 5, reverse: true, head: 100) == [], "a range after the head")
        #expect(range(limit: 5, reverse: true, head: 0) == [], "an empty log")
        #expect(range(from: 3, to: 7, reverse: true) == [3...7], "without a limit the range is read whole")
    }

    @Test func aLimitOfZeroReadsNothing() {
        #expect(range(limit: 0) == [])
        #expect(range(limit: 0, reverse: true, head: 10) == [])
    }

    @Test func onlyUnfilteredQueriesReadByOffset() {
        #expect(EventStore.readsByOffset(EventQuery(from: 3, to: 9, limit: 2, reverse: true)))
        for query in [
            EventQuery(types: ["a"]), EventQuery(actorId: "x"), EventQuery(targetId: "t"), EventQuery(groupId: "g"),
            EventQuery(since: 1), EventQuery(until: 5),
        ] {
            #expect(!EventStore.readsByOffset(query), "\(query)")
        }
    }

    @Test func onlyASingleIndexedFilterLetsTheLimitNarrowTheCheck() {
        for query in [
            EventQuery(types: ["a"]), EventQuery(actorId: "x"), EventQuery(targetId: "t"), EventQuery(groupId: "g"),
        ] {
            #expect(EventStore.readsListedOffsetsOnly(query), "\(query)")
        }
        for query in [
            EventQuery(types: ["a", "b"]), EventQuery(types: ["a", "b"], actorId: "x"),
            EventQuery(types: ["a"], groupId: "g"), EventQuery(targetId: "t", since: 1),
            EventQuery(actorId: "x", until: 9),
        ] {
            #expect(!EventStore.readsListedOffsetsOnly(query), "\(query)")
        }
    }

    @Test func listedOffsetsAreCheckedAsFewRanges() {
        #expect(EventStore.coalesced([], gap: 256) == [])
        #expect(EventStore.coalesced([4], gap: 256) == [4...4])
        #expect(EventStore.coalesced([1, 2, 3, 10], gap: 5) == [1...3, 10...10])
        #expect(EventStore.coalesced([1, 2, 3, 8], gap: 5) == [1...8])
        #expect(EventStore.coalesced([1, 300, 600, 1_000], gap: 300) == [1...600, 1_000...1_000])
        #expect(EventStore.coalesced([.max - 1, .max], gap: 256) == [(UInt64.max - 1)...UInt64.max], "no overflow")
    }
}
