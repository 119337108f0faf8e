import Foundation
import Testing

@testable import Annals

/// A rollback's plan is checked against every projection the writer would apply, custom ones included: a dry run
/// (`planRollback`) fails where the rollback would.
@Suite struct RollbackCustomProjectionTests {
    /// Refuses to restore a thing whose id starts with "frozen-".
    struct RestoreGuard: Projection {
        let name = "restore-guard"
        let version = 1
        let tableNames = ["restored"]

        func handles(eventType: String) -> Bool { eventType == "thing.restored" }

        func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
            let id = event.targetId ?? ""
            if id.hasPrefix("frozen-") { throw ProjectionRejection("\(id) stays deleted") }
            try tables.put(ProjectionTable(0), key: Array(id.utf8), value: [1])
        }
    }

    private static let options = StoreOptions(
        projections: OntologyProjections.standard + [RestoreGuard()], snapshotInterval: 0)

    @Test func aDryRunFailsWhereTheRollbackWouldOnACustomProjection() async throws {
        try await withStore(Self.options) { store, _ in
            _ = try await store.append(contentsOf: [Vocabulary.thing("frozen-1"), Vocabulary.thing("open-1")])
            let target = try store.head().offset
            _ = try await store.append(contentsOf: [
                Vocabulary.deleteThing("frozen-1"), Vocabulary.deleteThing("open-1"),
            ])
            let head = try store.head().offset

            func isGuardRejection(_ error: any Error) -> Bool {
                guard case .rejectedEvent(_, let type, let projection, let reason) = error as? AnnalsError else {
                    return false
                }
                return type == "thing.restored" && projection == "restore-guard" && reason.contains("stays deleted")
            }
            #expect(performing: { _ = try store.planRollback(to: target, actorId: "ops") }, throws: isGuardRejection)
            await #expect(
                performing: { _ = try await store.rollback(to: target, actorId: "ops") }, throws: isGuardRejection)
            #expect(try store.head().offset == head, "nothing of the refused rollback was written")

            // A scope the projection accepts plans and rolls back alike.
            let plan = try store.planRollback(to: target, scope: .thing("open-1"), actorId: "ops")
            #expect(plan.changes.map(\.id) == ["open-1"])
            _ = try await store.rollback(to: target, scope: .thing("open-1"), actorId: "ops")
            #expect(try store.thing("open-1") != nil && store.thing("frozen-1") == nil)
        }
    }
}
