import Foundation
import Testing

@testable import Annals

@Suite struct AppendTests {
    @Test func appendAssignsGaplessOffsetsAndVersions() async throws {
        try await withStore { store, _ in
            let first = try await store.append(sampleEvent(0, target: "t1"))
            #expect(first.offset == 1)
            #expect(first.version == 1)
            let batch = try await store.append(contentsOf: [sampleEvent(1, target: "t1"), sampleEvent(2, target: "t2")])
            #expect(batch.map(\.offset) == [2, 3])
            #expect(batch.map(\.version) == [2, 1])
            let event = try #require(try store.event(at: 2))
            #expect(event.targetId == "t1")
            #expect(event.version == 2)
            #expect(event.id == batch[0].id)
            #expect(try store.event(id: batch[0].id)?.offset == 2)
            #expect(try store.head().offset == 3)
        }
    }

    @Test func readBackEverything() async throws {
        try await withStore { store, _ in
            var events: [NewEvent] = []
            for i in 0..<3000 { events.append(sampleEvent(i)) }
            _ = try await store.append(contentsOf: Array(events[0..<1500]))
            _ = try await store.append(contentsOf: Array(events[1500...]))
            let all = try store.events().collect()
            #expect(all.count == 3000)
            #expect(all.map(\.offset) == Array(1...3000))
            #expect(all[10].metadata["name"] == .string("Item 10"))
            let reversed = try store.events(EventQuery(reverse: true)).collect()
            #expect(reversed.map(\.offset) == Array((1...3000).reversed()))
            let t2 = try store.events(EventQuery(targetId: "thing-2")).collect()
            #expect(t2.count == 600)
            #expect(t2.map(\.version) == Array(1...600))
            let typed = try store.events(EventQuery(types: ["item.updated"], actorId: "user-1")).collect()
            #expect(typed.allSatisfy { $0.type == "item.updated" && $0.actorId == "user-1" })
            #expect(typed.count == all.filter { $0.type == "item.updated" && $0.actorId == "user-1" }.count)
            let stream = try store.stream("thing-2", fromVersion: 598).collect()
            #expect(stream.map(\.version) == [598, 599, 600])
        }
    }

    @Test func aLargeBatchIsPreparedInOrderAndItsFirstBadEventIsNamed() async throws {
        try await withStore { store, _ in
            // Large enough to be prepared on every core, in slices.
            let count = PreparedEvent.parallelThreshold * 4 + 7
            var events = (0..<count).map { sampleEvent($0) }
            events[700] = NewEvent(type: "bad type")
            events[900] = NewEvent(type: "t", actorId: "")
            do {
                _ = try await store.append(contentsOf: events)
                Issue.record("a batch with invalid events was appended")
            } catch let error as AnnalsError {
                guard case .invalidEvent(let index, let field, _) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(index == 700)
                #expect(field == "type")
            } catch {
                Issue.record("unexpected error \(error)")
            }
            #expect(try store.head().offset == 0)

            events[700] = sampleEvent(700)
            events[900] = sampleEvent(900)
            let receipts = try await store.append(contentsOf: events)
            #expect(receipts.map(\.offset) == Array(1...UInt64(count)))
            let stored = try store.events().collect()
            #expect(stored.map(\.type) == events.map(\.type))
            #expect(stored.map(\.metadata) == events.map(\.metadata))
        }
    }
}
