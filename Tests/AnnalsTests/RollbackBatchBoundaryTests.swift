import Foundation
import Testing

@testable import Annals

/// A rollback to an offset inside an earlier rollback's atomic batch would restore a state that never existed: it is
/// refused when planned, naming the batch and the two sound targets around it.
@Suite struct RollbackBatchBoundaryTests {
    @Test func aTargetInsideAnEarlierBatchIsRefused() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: ["a", "b", "c"].map { Vocabulary.thing($0) })
            _ = try await store.append(contentsOf: ["a", "b", "c"].map { Vocabulary.update($0, status: "off") })
            let (_, receipts) = try await store.rollback(to: 3, actorId: "ops")
            let batch = try #require(receipts.first?.offset)...(try #require(receipts.last?.offset))
            #expect(batch == 7...9)
            for target in UInt64(7)...8 {
                let refused = AnnalsError.rollbackTargetInsideBatch(offset: target, batch: batch)
                #expect(throws: refused) { _ = try store.planRollback(to: target, actorId: "ops") }
                #expect(throws: refused) { _ = try store.planRollback(to: target, scope: .thing("b"), actorId: "ops") }
                await #expect(throws: refused) { _ = try await store.rollback(to: target, actorId: "ops") }
            }
            #expect(
                AnnalsError.rollbackTargetInsideBatch(offset: 8, batch: batch).description.hasSuffix(
                    "roll back to 6 (before that rollback) or 9 (after it)"))
            #expect(try store.head().offset == 9, "nothing was appended")
            // Before and after the batch, and inside ordinary batches, rollbacks plan as usual.
            #expect(try store.planRollback(to: 6, actorId: "ops").changes.count == 3)
            #expect(try store.planRollback(to: 9, actorId: "ops").changes.isEmpty)
            #expect(try store.planRollback(to: 4, actorId: "ops").changes.count == 1)
        }
    }

    /// `rollbackBatch(containing:)` names the batch for an offset strictly inside it, and nothing for its last
    /// offset, the offset before it, 0, or an offset past the head.
    @Test func theBatchContainingAnOffsetIsNamed() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: ["a", "b", "c"].map { Vocabulary.thing($0) })
            _ = try await store.append(contentsOf: ["a", "b", "c"].map { Vocabulary.update($0, status: "off") })
            _ = try await store.rollback(to: 3, actorId: "ops")
            for offset in UInt64(7)...8 { #expect(try store.rollbackBatch(containing: offset) == 7...9) }
            for offset: UInt64 in [0, 1, 5, 6, 9, 10, 99] {
                #expect(try store.rollbackBatch(containing: offset) == nil)
            }
        }
    }

    /// Two rollbacks appended one after the other are two batches: the offset between them is sound.
    @Test func adjacentBatchesOfOtherRollbacksAreTold() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: ["a", "b"].map { Vocabulary.thing($0) })
            _ = try await store.append(contentsOf: ["a", "b"].map { Vocabulary.update($0, status: "off") })
            let first = try await store.rollback(to: 2, scope: .thing("a"), actorId: "ops").receipts
            let second = try await store.rollback(to: 2, scope: .thing("b"), actorId: "ops").receipts
            #expect(first.map(\.offset) == [5] && second.map(\.offset) == [6])
            #expect(try store.planRollback(to: 5, actorId: "ops").changes.isEmpty == false)
        }
    }
}
