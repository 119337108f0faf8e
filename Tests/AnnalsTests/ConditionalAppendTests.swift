import Foundation
import Testing

@testable import Annals

/// `append(contentsOf:unlessAppendedAfter:matching:)` and its predicate form: a batch planned from one state is
/// appended only if nothing that matters to it was appended since.
@Suite struct ConditionalAppendTests {
    private let orgZero = [EventFilter(types: ["item.*"], groupId: "org-0")]

    @Test func aMatchingEventAppendedSinceThePlanRefusesTheBatch() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<6).map { sampleEvent($0) })
            let planned = try store.head().offset
            // Events that do not match (another group, another type) leave the plan valid.
            _ = try await store.append(sampleEvent(1))  // item.updated in org-1
            _ = try await store.append(sampleEvent(3, type: "link.created"))  // link.created in org-0
            let accepted = try await store.append(
                contentsOf: [sampleEvent(10)], unlessAppendedAfter: planned, matching: orgZero)
            #expect(accepted.count == 1)
            // One that matches, appended after the plan, refuses it and names itself.
            let conflicting = try await store.append(sampleEvent(12, type: "item.created"))  // org-0
            let before = try store.head().offset
            await #expect(throws: AnnalsError.conflictingAppend(offset: conflicting.offset, plannedAt: planned)) {
                _ = try await store.append(
                    contentsOf: [sampleEvent(20)], unlessAppendedAfter: planned, matching: orgZero)
            }
            #expect(try store.head().offset == before, "nothing of the refused batch was written")
            // Planned again from the new head, it goes through.
            _ = try await store.append(
                contentsOf: [sampleEvent(21)], unlessAppendedAfter: conflicting.offset, matching: orgZero)
        }
    }

    @Test func twoBatchesPlannedFromOneStateNeverBothGoThrough() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<3).map { sampleEvent($0) })
            for _ in 0..<20 {
                let planned = try store.head().offset
                // Submitted at once, both land in the writer's queue; the second is checked against the first even
                // when one group commit takes both.
                let outcomes = await withTaskGroup(of: Bool.self) { group in
                    for i in 0..<2 {
                        group.addTask {
                            do {
                                _ = try await store.append(
                                    contentsOf: [sampleEvent(30 + i * 3)], unlessAppendedAfter: planned,
                                    matching: [EventFilter(groupId: "org-0")])
                                return true
                            } catch {
                                guard case .conflictingAppend(_, planned) = error as? AnnalsError else {
                                    Issue.record("unexpected \(error)")
                                    return false
                                }
                                return false
                            }
                        }
                    }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1, "exactly one of two plans from offset \(planned)")
            }
        }
    }

    @Test func aPredicateSeesEveryEventAppendedSince() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<4).map { sampleEvent($0) })
            let planned = try store.head().offset
            _ = try await store.append(sampleEvent(5, target: "kv:org-0:counter"))
            _ = try await store.append(
                contentsOf: [sampleEvent(6)], unlessAppendedAfter: planned,
                where: { !($0.targetId?.hasPrefix("kv:") ?? false) })
            await #expect(throws: AnnalsError.self) {
                _ = try await store.append(
                    contentsOf: [sampleEvent(7)], unlessAppendedAfter: planned,
                    where: { $0.targetId?.hasPrefix("kv:") ?? false })
            }
        }
    }

    @Test func badArgumentsAreRefused() async throws {
        try await withStore { store, _ in
            _ = try await store.append(sampleEvent(0))
            await #expect(throws: AnnalsError.self) {
                _ = try await store.append(contentsOf: [sampleEvent(1)], unlessAppendedAfter: 1, matching: [])
            }
            await #expect(throws: AnnalsError.self) {
                _ = try await store.append(
                    contentsOf: [sampleEvent(1)], unlessAppendedAfter: 1, matching: [EventFilter(types: ["a b"])])
            }
            let past = AnnalsError.invalidArgument("a conditional append planned at offset 9, past the last offset 1")
            await #expect(throws: past) {
                _ = try await store.append(contentsOf: [sampleEvent(1)], unlessAppendedAfter: 9, matching: orgZero)
            }
            #expect(try store.head().offset == 1)
        }
    }

    @Test func aRetryOfAnAppendedConditionalBatchGetsItsReceipts() async throws {
        try await withStore { store, _ in
            let planned = try store.head().offset
            var batch = [sampleEvent(0), sampleEvent(3)]  // both in org-0
            for index in batch.indices { batch[index].id = UUID() }
            let first = try await store.append(contentsOf: batch, unlessAppendedAfter: planned, matching: orgZero)
            // The answer was lost; the client retries the same batch with the same plan: its own events do not
            // count as a conflict.
            let retry = try await store.append(contentsOf: batch, unlessAppendedAfter: planned, matching: orgZero)
            #expect(retry.map(\.offset) == first.map(\.offset) && retry.allSatisfy(\.duplicate))
            #expect(try store.head().offset == 2)
            // A new batch with the same plan still conflicts with them.
            await #expect(throws: AnnalsError.conflictingAppend(offset: 1, plannedAt: planned)) {
                _ = try await store.append(
                    contentsOf: [sampleEvent(6)], unlessAppendedAfter: planned, matching: orgZero)
            }
        }
    }

    @Test func theWriterChecksOnlyWhatWasCommittedAfterTheCallersCheck() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<3).map { sampleEvent($0) })
            let planned = try store.head().offset
            // An old plan: 2,000 events appended since, none in org-0 (sampleEvent(1) is in org-1).
            _ = try await store.append(contentsOf: (0..<2_000).map { _ in sampleEvent(1) })
            let seen = Counter()
            let condition = AppendCondition(
                plannedAt: planned, store: store, including: { _ in true },
                conflicts: { event in
                    seen.increment()
                    return event.groupId == "org-0"
                })
            let checked = try store.prechecked(condition, for: [sampleEvent(0)])
            #expect(checked.checkedThrough == planned + 2_000 && seen.value == 2_000)
            // Committed after the caller's check: the writer sees it (and only it), and refuses the batch.
            let late = try await store.append(sampleEvent(3))  // org-0
            seen.reset()
            let request = try store.prepare([sampleEvent(6)])
            let result = await withCheckedContinuation { continuation in
                store.submit(request.events, condition: checked) { continuation.resume(returning: $0) }
            }
            #expect(throws: AnnalsError.conflictingAppend(offset: late.offset, plannedAt: planned)) {
                try result.get()
            }
            #expect(seen.value == 1, "the writer decoded only the event committed after the caller's check")
        }
    }

    @Test func theCallersCheckRefusesAnOldPlanWithoutQueueingIt() async throws {
        try await withStore { store, _ in
            let planned = try store.head().offset
            let conflicting = try await store.append(sampleEvent(0))  // org-0
            _ = try await store.append(contentsOf: (0..<1_500).map { _ in sampleEvent(1) })
            let condition = AppendCondition(
                plannedAt: planned, store: store, including: { _ in true }, conflicts: { $0.groupId == "org-0" })
            #expect(throws: AnnalsError.conflictingAppend(offset: conflicting.offset, plannedAt: planned)) {
                _ = try store.prechecked(condition, for: [sampleEvent(3)])
            }
        }
    }
}
