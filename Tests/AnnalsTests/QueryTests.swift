import Foundation
import Testing

@testable import Annals

@Suite struct QueryTests {
    /// 2,000 events, one per second from a fixed start, over 5 targets, 4 types, 7 actors and 3 groups.
    private func fill(_ store: EventStore) async throws -> [RecordedEvent] {
        let start: Int64 = 1_795_600_000_000
        var events: [NewEvent] = []
        for i in 0..<2000 {
            var event = sampleEvent(i)
            event.timestamp = start + Int64(i) * 1000
            events.append(event)
        }
        _ = try await store.append(contentsOf: Array(events[..<700]))
        _ = try await store.append(contentsOf: Array(events[700...]))
        return try store.events().collect()
    }

    /// Runs with everything in the delta log, with a merge in the middle, and with frequent merges.
    @Test(arguments: [1 << 30, 1200, 300])
    func everyFilterMatchesABruteForceScan(mergeInterval: Int) async throws {
        try await withStore(StoreOptions(indexMergeInterval: mergeInterval)) { store, _ in
            let all = try await fill(store)
            let start: Int64 = 1_795_600_000_000
            let queries: [EventQuery] = [
                EventQuery(types: ["item.updated"]),
                EventQuery(types: ["item.updated", "link.created"]),
                EventQuery(types: ["item.updated", "nothing.here"]),
                EventQuery(from: 300, to: 1_500, types: ["link.created", "item.created", "nothing.here"]),
                EventQuery(from: 1_990, types: ["item.updated", "link.created"]),
                EventQuery(actorId: "user-3"),
                EventQuery(groupId: "org-2"),
                EventQuery(targetId: "thing-4", groupId: "org-1"),
                EventQuery(types: ["item.created"], actorId: "user-2", groupId: "org-0"),
                EventQuery(from: 500, to: 900, actorId: "user-1"),
                EventQuery(since: start + 300_000, until: start + 420_000),
                EventQuery(since: start + 1_999_000),
                EventQuery(until: start + 5_000),
                EventQuery(groupId: "org-1", since: start + 100_000, until: start + 200_000),
                EventQuery(from: 1990),
                EventQuery(to: 3),
                EventQuery(actorId: "nobody"),
                // Type patterns: matched against the types in the log, then read through their posting lists.
                EventQuery(types: ["item.*"]),
                EventQuery(types: ["*.created", "nothing.*"]),
                EventQuery(from: 300, to: 1_500, types: ["?ink.created"]),
                EventQuery(types: ["item.up*"], actorId: "user-2"),
                EventQuery(types: ["zzz*"]),
                EventQuery(types: ["item.created", "l*"], limit: 5),
            ]
            for base in queries {
                for reverse in [false, true] {
                    var query = base
                    query.reverse = reverse
                    let matching = all.filter { query.matches($0) }
                    let ordered = reverse ? Array(matching.reversed()) : matching
                    let expected = Array(ordered.prefix(query.limit ?? .max))
                    #expect(try store.events(query).collect() == expected, "\(query)")
                    try store.checkLogPages(for: query)
                }
            }
            #expect(all.contains { $0.type == "item.updated" } && all.contains { $0.type == "link.created" })
            // A type no event could have is a mistake, as for subscriptions.
            for bad in ["item created*", "", String(repeating: "t", count: 129)] {
                #expect(throws: AnnalsError.self, "\(bad)") { try store.events(EventQuery(types: [bad])).collect() }
                #expect(throws: AnnalsError.self, "\(bad)") { try store.checkLogPages(for: EventQuery(types: [bad])) }
            }
            #expect(EventQuery(types: ["item.*"]).matches(all.first { $0.type == "item.updated" }!))
            #expect(!EventQuery(types: ["item.*"]).matches(all.first { $0.type == "link.created" }!))
        }
    }

    /// Several types are read through their posting lists when their events are less than half the range (as for
    /// the plugin platform's executions), and by a scan otherwise.
    @Test func severalRareTypesAreReadThroughTheirPostingLists() async throws {
        try await withStore { store, _ in
            _ = try await fill(store)
            func plan(_ query: EventQuery) throws -> String {
                switch try ReadPlan.make(for: query, store: store) {
                case .scan: "scan"
                case .postings: "postings"
                case .offsets(let offsets, _): "offsets \(offsets.count)"
                }
            }
            #expect(try plan(EventQuery(types: ["item.updated", "nothing.here"])) == "offsets 500")
            #expect(try plan(EventQuery(types: ["item.updated", "link.created"])) == "scan", "half the log")
            #expect(try plan(EventQuery(from: 1_001, types: ["item.created", "nothing"])) == "scan", "whole lists")
            #expect(try plan(EventQuery(from: 501, types: ["item.created", "nothing"])) == "offsets 375")
            #expect(try plan(EventQuery(from: 3_000, types: ["item.created", "nothing"])) == "offsets 0")
            // With a limit, only that many of each list are read.
            #expect(try plan(EventQuery(types: ["item.created", "nothing"], limit: 7)) == "offsets 7")
            let all = try store.events().collect()
            for reverse in [false, true] {
                let query = EventQuery(
                    from: 20, to: 1_900, types: ["item.updated", "nothing"], limit: 9, reverse: reverse)
                let matching = all.filter { query.matches($0) }
                let expected = reverse ? Array(matching.suffix(9).reversed()) : Array(matching.prefix(9))
                #expect(try store.events(query).collect() == expected, "\(query)")
            }
        }
    }

    /// A time range holding more events than a plan lists is read by a scan between its first and last offsets,
    /// with the same result as the listed offsets: timestamps here jump back and forth, so the range's events are
    /// spread among others.
    @Test(arguments: [1 << 30, 300])
    func aLargeTimeRangeIsScannedBetweenItsFirstAndLastOffsets(mergeInterval: Int) async throws {
        try await withStore(StoreOptions(indexMergeInterval: mergeInterval)) { store, _ in
            let start: Int64 = 1_795_600_000_000
            var random = SeededGenerator(state: 11)
            let minutes = (0..<1_000).map { _ in Int64.random(in: 0..<40, using: &random) }
            let events = minutes.enumerated().map { i, minute in
                var event = sampleEvent(i)
                event.timestamp = start + minute * 60_000 + Int64(i % 60) * 1000
                return event
            }
            _ = try await store.append(contentsOf: Array(events[..<600]))
            _ = try await store.append(contentsOf: Array(events[600...]))
            let all = try store.events().collect()
            let queries = [
                EventQuery(since: start + 10 * 60_000 + 30_000, until: start + 12 * 60_000),
                EventQuery(since: start + 39 * 60_000),
                EventQuery(until: start + 60_000 + 1),
                EventQuery(from: 200, to: 700, since: start + 5 * 60_000, until: start + 30 * 60_000),
                EventQuery(since: start + 20 * 60_000, limit: 3),
                EventQuery(since: start + 100 * 60_000),
            ]
            for base in queries {
                for reverse in [false, true] {
                    var query = base
                    query.reverse = reverse
                    let matching = all.filter { query.matches($0) }
                    let expected = Array((reverse ? matching.reversed() : matching).prefix(query.limit ?? .max))
                    #expect(try store.events(query).collect() == expected, "\(query)")
                    for cap in [0, 1, 5] {
                        let plan = try ReadPlan.make(for: query, store: store, maximumListedOffsets: cap)
                        if case .offsets(let listed, _) = plan { #expect(listed.count <= cap, "\(query), cap \(cap)") }
                        if case .scan(_, let bound) = plan {
                            // The scan stops at the range's last event (the first, reading backwards).
                            let edge = reverse ? matching.first?.offset : matching.last?.offset
                            if let edge { #expect(reverse ? bound <= edge : bound >= edge, "\(query)") }
                        }
                        var reader = EventReader(store: store, query: query, plan: plan)
                        var read: [RecordedEvent] = []
                        while let event = try reader.next() { read.append(event) }
                        #expect(read == expected, "\(query), cap \(cap)")
                    }
                    try store.checkLogPages(for: query)
                }
            }
        }
    }

    @Test func offsetZeroMeansTheStartAndIdentifiersMatchInAnySpelling() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: [
                NewEvent(type: "a", targetId: "caf\u{E9}"), NewEvent(type: "b", targetId: "caf\u{E9}"),
            ])
            #expect(try store.events(EventQuery(from: 0, targetId: "caf\u{E9}")).collect().count == 2)
            // A query spelled in decomposed form finds the stored (NFC) identifier, before and after a merge.
            #expect(try store.events(EventQuery(targetId: "cafe\u{301}")).collect().count == 2)
            try store.mergeIndexes()
            #expect(try store.events(EventQuery(targetId: "cafe\u{301}")).collect().count == 2)
            #expect(try store.version(of: "cafe\u{301}") == 2)
        }
    }

    @Test func limitStopsEarly() async throws {
        try await withStore { store, _ in
            _ = try await fill(store)
            let first = try store.events(EventQuery(targetId: "thing-1", limit: 3)).collect()
            #expect(first.map(\.version) == [1, 2, 3])
            let last = try store.events(EventQuery(limit: 2, reverse: true)).collect()
            #expect(last.map(\.offset) == [2000, 1999])
            #expect(try store.events(EventQuery(limit: 0)).collect().isEmpty)
        }
    }

    @Test func aNegativeLimitIsRefusedNotReadAsZero() async throws {
        try await withStore { store, _ in
            _ = try await fill(store)
            for query in [EventQuery(limit: -1), EventQuery(targetId: "thing-1", limit: -5, reverse: true)] {
                let refusal = AnnalsError.invalidArgument(
                    "query limit \(query.limit!) is negative (must be 0 or more)")
                #expect(throws: refusal) { _ = try store.events(query).collect() }
                #expect(throws: AnnalsError.self) { try store.checkLogPages(for: query) }
            }
        }
    }

    @Test(arguments: [false, true])
    func streamsReadFromAVersion(merged: Bool) async throws {
        try await withStore { store, _ in
            _ = try await fill(store)
            if merged { #expect(try store.mergeIndexes() == 2000) }
            let events = try store.stream("thing-3", fromVersion: 395).collect()
            #expect(events.map(\.version) == [395, 396, 397, 398, 399, 400])
            #expect(try store.stream("thing-3", fromVersion: 401).collect().isEmpty)
            #expect(try store.stream("missing").collect().isEmpty)
            #expect(try store.version(of: "thing-3") == 400)
            _ = try await store.append(sampleEvent(3))
            #expect(try store.stream("thing-3", fromVersion: 400).collect().map(\.version) == [400, 401])
        }
    }

    @Test func asyncIterationAndLookups() async throws {
        try await withStore { store, _ in
            let all = try await fill(store)
            var count = 0
            for try await event in store.events(EventQuery(groupId: "org-0")) {
                #expect(event.groupId == "org-0")
                count += 1
            }
            #expect(count == all.filter { $0.groupId == "org-0" }.count)
            #expect(try store.event(at: 2001) == nil)
            #expect(try store.event(at: 1234) == all[1233])
            #expect(try store.event(id: all[5].id) == all[5])
            #expect(try store.event(id: UUID()) == nil)
        }
    }

    @Test func readsSeeNewEventsBetweenChunks() async throws {
        try await withStore { store, _ in
            _ = try await fill(store)
            // More than one chunk, so the reader comes back for a second one after the append.
            _ = try await store.append(contentsOf: (0..<EventReader.chunkSize).map { sampleEvent($0) })
            let total = 2000 + EventReader.chunkSize
            var reader = store.events().makeReader()
            var seen = 0
            while try reader.next() != nil {
                seen += 1
                if seen == 100 { _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) }) }
            }
            #expect(seen == total + 10)
        }
    }
}
