import Foundation
import Testing

@testable import Annals

@Suite struct IdempotencyAndConcurrencyTests {
    @Test func sameClientIDReturnsTheOriginalOffsetAndWritesNothing() async throws {
        try await withStore { store, _ in
            let id = UUID()
            let first = try await store.append(NewEvent(id: id, type: "a", targetId: "t"))
            _ = try await store.append(NewEvent(type: "b"))
            let again = try await store.append(NewEvent(id: id, type: "a", targetId: "t"))
            #expect(again.offset == first.offset && again.version == first.version && again.duplicate)
            #expect(!first.duplicate)
            #expect(try store.head().offset == 2)
            #expect(try store.event(id: id)?.offset == first.offset)
            // Within one batch, the second copy is a duplicate of the first.
            let other = UUID()
            let batch = try await store.append(contentsOf: [
                NewEvent(id: other, type: "c"), NewEvent(id: other, type: "c"),
            ])
            #expect(batch[0].offset == 3 && batch[1].offset == 3 && batch[1].duplicate)
            #expect(try store.head().offset == 3)
        }
    }

    @Test func idsInTheStoresAssignedNamespaceAreRefused() async throws {
        try await withStore { store, _ in
            let receipt = try await store.append(NewEvent(type: "a"))
            let forged = store.identity.assignedID(offset: receipt.offset + 1)
            await #expect(throws: AnnalsError.self) { try await store.append(NewEvent(id: forged, type: "a")) }
            #expect(try store.head().offset == 1)
        }
    }

    @Test func expectedVersionMismatchStatesBothVersionsAndWritesNothing() async throws {
        try await withStore { store, _ in
            _ = try await store.append(NewEvent(type: "created", targetId: "t", expectedVersion: 0))
            _ = try await store.append(NewEvent(type: "updated", targetId: "t", expectedVersion: 1))
            do throws(AnnalsError) {
                _ = try await store.append(contentsOf: [
                    NewEvent(type: "other", targetId: "u"),
                    NewEvent(type: "updated", targetId: "t", expectedVersion: 1),
                ])
                Issue.record("expected a conflict")
            } catch {
                #expect(error == .versionConflict(index: 1, targetId: "t", expected: 1, actual: 2))
                #expect(error.description.contains("expected version 1, actual version 2"))
            }
            #expect(try store.head().offset == 2)
            #expect(try store.version(of: "t") == 2)
            #expect(try store.version(of: "u") == 0)
        }
    }

    @Test func expectedVersionCountsEventsEarlierInTheSameBatch() async throws {
        try await withStore { store, _ in
            let receipts = try await store.append(contentsOf: [
                NewEvent(type: "a", targetId: "t", expectedVersion: 0),
                NewEvent(type: "b", targetId: "t", expectedVersion: 1),
            ])
            #expect(receipts.map(\.version) == [1, 2])
        }
    }

    @Test func anInvalidEventFailsTheWholeBatch() async throws {
        try await withStore { store, _ in
            do throws(AnnalsError) {
                _ = try await store.append(contentsOf: [NewEvent(type: "fine"), NewEvent(type: "not fine")])
                Issue.record("expected a failure")
            } catch {
                guard case .invalidEvent(let index, let field, _) = error else {
                    Issue.record("wrong error \(error)")
                    return
                }
                #expect(index == 1 && field == "type")
            }
            let head = try store.head().offset
            #expect(head == 0)
        }
    }

    @Test func oversizedEventsAreRefused() async throws {
        try await withStore(StoreOptions(maximumEventSize: 1024)) { store, _ in
            let big = NewEvent(type: "big", metadata: ["blob": .string(String(repeating: "x", count: 2000))])
            do throws(AnnalsError) {
                _ = try await store.append(big)
                Issue.record("accepted")
            } catch {
                guard case .eventTooLarge(0, let size, 1024) = error else {
                    Issue.record("wrong error \(error)")
                    return
                }
                #expect(size > 2000)
            }
            let head = try store.head().offset
            #expect(head == 0)
        }
    }

    @Test func concurrentAppendersGetGaplessDistinctOffsets() async throws {
        try await withStore { store, _ in
            let receipts = try await withThrowingTaskGroup(of: [AppendReceipt].self) { group in
                for task in 0..<64 {
                    group.addTask {
                        var out: [AppendReceipt] = []
                        for i in 0..<10 {
                            out.append(try await store.append(sampleEvent(task * 10 + i, target: "stream-\(task % 4)")))
                        }
                        return out
                    }
                }
                var all: [AppendReceipt] = []
                for try await part in group { all += part }
                return all
            }
            #expect(receipts.map(\.offset).sorted() == Array(1...640))
            for stream in 0..<4 {
                let versions = receipts.filter { r in (try? store.event(at: r.offset))??.targetId == "stream-\(stream)"
                }
                .map(\.version).sorted()
                #expect(versions == Array(1...160))
            }
            #expect(try store.verify().isIntact)
        }
    }

    @Test func batchesStayContiguousUnderConcurrency() async throws {
        try await withStore { store, _ in
            let batches = try await withThrowingTaskGroup(of: [AppendReceipt].self) { group in
                for b in 0..<16 {
                    group.addTask { try await store.append(contentsOf: (0..<50).map { sampleEvent(b * 50 + $0) }) }
                }
                var all: [[AppendReceipt]] = []
                for try await batch in group { all.append(batch) }
                return all
            }
            for batch in batches {
                #expect(batch.map(\.offset) == Array(batch[0].offset..<(batch[0].offset + 50)))
            }
        }
    }

    @Test func blockingAndCallbackAppends() async throws {
        try await withStore { store, _ in
            let receipts = try store.appendAndWait([sampleEvent(1), sampleEvent(2)])
            #expect(receipts.map(\.offset) == [1, 2])
            let result: Result<[AppendReceipt], AnnalsError> = await withCheckedContinuation { continuation in
                store.append([sampleEvent(3)]) { continuation.resume(returning: $0) }
            }
            #expect(try result.get().map(\.offset) == [3])
            #expect(throws: AnnalsError.self) { try store.appendAndWait([]) }
        }
    }

    @Test func appendsAfterCloseFail() async throws {
        try await withStore { store, _ in
            store.close()
            await #expect(throws: AnnalsError.closed) { try await store.append(sampleEvent(1)) }
        }
    }
}
