import Foundation
import Testing

@testable import Annals

/// Rollback and scoped time travel where entities move between groups, ids are reused, a group's things take other
/// groups' connections and knowledge with them, and events are appended while a rollback plans.
@Suite struct RollbackScopeTests {
    @Test func aRestoreBringsBackTheGroupTheEntityHad() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("a", group: "g1"), Vocabulary.thing("b", group: "g1"),
                Vocabulary.connect("ab", from: "a", to: "b", group: "g1"),
                Vocabulary.knowledge("ka", about: "a", text: "the first a", group: "g1"),
            ])
            let target = try store.head().offset
            let past = try dumpWithoutStamps(try store.state(at: target).view)
            _ = try await store.append(Vocabulary.deleteThing("a"))
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("a", type: "other", group: "g2"),
                Vocabulary.connect("ab", from: "a", to: "b", group: "g2"),
                Vocabulary.knowledge("ka", about: "a", text: "the second a", group: "g2"),
            ])
            _ = try await store.rollback(to: target, scope: .all, actorId: "ops")
            #expect(try store.thing("a")?.groupId == "g1")
            #expect(try store.connections(ConnectionFilter(fromId: "a")).map(\.groupId) == ["g1"])
            #expect(try store.knowledge(KnowledgeFilter(thingId: "a")).map(\.groupId) == ["g1"])
            #expect(try store.read { try dumpWithoutStamps($0) } == past)
            // Done once: a group's rollback finds nothing more to change.
            #expect(try store.planRollback(to: target, scope: .group("g1"), actorId: "ops").changes.isEmpty)
            #expect(try store.planRollback(to: target, scope: .all, actorId: "ops").changes.isEmpty)
            #expect(try store.rebuild(verify: true).allSatisfy { $0.differences.isEmpty })
        }
    }

    @Test func aScopedRollbackNeverTakesOverAnEntityOutsideItsScope() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(Vocabulary.thing("a", group: "g1"))
            _ = try await store.append(Vocabulary.deleteThing("a"))
            // The id now names another group's thing, with knowledge of its own.
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("a", type: "other", group: "g2"),
                Vocabulary.knowledge("k", about: "a", text: "g2's note", group: "g2"),
            ])
            let head = try store.head().offset
            // The planner refuses it, not a projection: the message says so.
            let refused = AnnalsError.rollbackRefused(
                index: 0, type: "thing.restored",
                reason: "restoring thing 'a' would take over the thing of that id that exists now in group 'g2', "
                    + "outside the rollback's scope group:g1; roll back a scope that holds both, or everything")
            #expect(throws: refused) { _ = try store.planRollback(to: 1, scope: .group("g1"), actorId: "ops") }
            #expect(refused.description.hasPrefix("the rollback planner refused the event at batch index 0"))
            await #expect(throws: refused) { _ = try await store.rollback(to: 1, scope: .group("g1"), actorId: "ops") }
            #expect(try store.head().offset == head && store.thing("a")?.groupId == "g2")
            // Knowledge about one thing then, about another now: a thing scope does not take it away either.
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("b", group: "g2"), Vocabulary.knowledge("kb", about: "b", text: "b's", group: "g2"),
            ])
            let aboutB = try store.head().offset
            _ = try await store.append(NewEvent(type: "knowledge.deleted", actorId: "tester", targetId: "kb"))
            _ = try await store.append(Vocabulary.knowledge("kb", about: "a", text: "now a's", group: "g2"))
            #expect(throws: AnnalsError.self) {
                _ = try store.planRollback(to: aboutB, scope: .thing("b"), actorId: "ops")
            }
            // Everything, rolled back together, is changed as a whole.
            _ = try await store.rollback(to: 1, scope: .all, actorId: "ops")
            #expect(try store.thing("a")?.groupId == "g1" && store.thing("a")?.thingType == "device")
            #expect(try store.knowledge(KnowledgeFilter(limit: .max)).isEmpty)
        }
    }

    /// A plan a projection rejects is refused before any change line is printed, so the error names the entity of
    /// the rejected event, not only its index in the batch.
    @Test func aRejectedPlanNamesTheEntityItWouldChange() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("a", group: "g1"), Vocabulary.thing("b", group: "g2"),
                Vocabulary.connect("a-b", from: "a", to: "b", group: "g1"),
            ])
            let target = try store.head().offset
            _ = try await store.append(Vocabulary.deleteThing("b"))
            let rejected = AnnalsError.rejectedEvent(
                index: 0, type: "connection.restored", projection: "connections",
                reason: "field 'metadata.toId': thing 'b' does not exist, in the restore of connection 'a-b'")
            #expect(throws: rejected) { _ = try store.planRollback(to: target, scope: .group("g1"), actorId: "ops") }
            await #expect(throws: rejected) {
                _ = try await store.rollback(to: target, scope: .group("g1"), actorId: "ops")
            }
        }
    }

    @Test func aThingScopeIgnoresWhatAReusedIdWasBeforeItJoined() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("x", group: "gA"), Vocabulary.thing("t", group: "gB"),
                Vocabulary.knowledge("k1", about: "x", text: "about x", group: "gA"),
                Vocabulary.connect("c1", from: "x", to: "x", group: "gA"),
            ])
            _ = try store.createSnapshot()
            _ = try await store.append(NewEvent(type: "knowledge.deleted", actorId: "tester", targetId: "k1"))
            _ = try await store.append(Vocabulary.knowledge("k1", about: "t", text: "about t", group: "gB"))
            _ = try await store.append(NewEvent(type: "connection.deleted", actorId: "tester", targetId: "c1"))
            _ = try await store.append(Vocabulary.connect("c1", from: "t", to: "x", group: "gB"))
            let head = try store.head().offset
            let full = try store.state(at: head).view
            let scoped = try store.state(at: head, scope: .thing("t")).view
            #expect(try ScopedStateTests.dump(scoped) == (try ScopedStateTests.dump(full, thing: "t")))
            #expect(try scoped.knowledge(KnowledgeFilter(thingId: "t")).map(\.groupId) == ["gB"])
            #expect(try scoped.connections(ConnectionFilter(fromId: "t")).map(\.stamp.createdOffset) == [head])
        }
    }

    @Test func aGroupRollbackDeletesOtherGroupsConnectionsAndKnowledgeExplicitly() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("a", group: "g1"), Vocabulary.thing("b", group: "g2"),
            ])
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("x", group: "g1"), Vocabulary.connect("c1", from: "b", to: "x", group: "g2"),
                Vocabulary.knowledge("k1", about: "x", text: "about x", group: "g2"),
            ])
            let plan = try store.planRollback(to: 2, scope: .group("g1"), actorId: "ops")
            #expect(
                plan.changes.map { "\($0.action.rawValue) \($0.entity) \($0.id)" } == [
                    "delete connection c1", "delete knowledge k1", "delete thing x",
                ])
            #expect(plan.events.map(\.type) == ["connection.deleted", "knowledge.deleted", "thing.deleted"])
            _ = try await store.rollback(to: 2, scope: .group("g1"), actorId: "ops")
            #expect(try store.thing("x") == nil && store.thing("b") != nil)
            #expect(try store.connections(ConnectionFilter(limit: .max)).isEmpty)
            #expect(try store.knowledge(KnowledgeFilter(limit: .max)).isEmpty)
        }
    }

    @Test func eventsThatMayChangeTheScopeAppendedWhileItPlannedFailTheRollback() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("a", group: "g1", status: "one"), Vocabulary.thing("far", group: "g2"),
            ])
            _ = try await store.append(Vocabulary.update("a", status: "two"))
            for (scope, unrelated, conflicting) in [
                (OntologyScope.all, NewEvent(type: "note.added", targetId: "n"), Vocabulary.thing("late1")),
                (.group("g1"), Vocabulary.update("far", status: "x"), Vocabulary.thing("late2", group: "g1")),
                // Another group's connection to a thing of the scope: deleting the thing would take it along.
                (
                    .group("g1"), Vocabulary.thing("late6", group: "g2"),
                    Vocabulary.connect("late5", from: "far", to: "a", group: "g2")
                ),
                (
                    .thing("a"), Vocabulary.thing("late3", group: "g1"),
                    Vocabulary.connect("late4", from: "far", to: "a")
                ),
            ] {
                _ = try await store.append(Vocabulary.update("a", status: "before \(scope)"))
                // Unrelated events appended since the plan do not stop it…
                var plan = try store.planRollback(to: 2, scope: scope, actorId: "ops")
                #expect(!plan.events.isEmpty, "\(scope)")
                _ = try await store.append(unrelated)
                let receipts = try await store.append(
                    contentsOf: plan.events, condition: store.rollbackCondition(plan))
                #expect(receipts.count == plan.events.count, "\(scope)")
                _ = try await store.append(Vocabulary.update("a", status: "again \(scope)"))
                // …one that may change the scope does, and nothing of the batch is written.
                plan = try store.planRollback(to: 2, scope: scope, actorId: "ops")
                let conflict = try await store.append(conflicting).offset
                let head = try store.head().offset
                await #expect(throws: AnnalsError.conflictingAppend(offset: conflict, plannedAt: plan.head)) {
                    _ = try await store.append(contentsOf: plan.events, condition: store.rollbackCondition(plan))
                }
                #expect(try store.head().offset == head)
                // The rollback itself plans again and succeeds.
                _ = try await store.rollback(to: 2, scope: scope, actorId: "ops")
                #expect(try store.thing("a")?.status == "one", "\(scope)")
            }
        }
    }
}
