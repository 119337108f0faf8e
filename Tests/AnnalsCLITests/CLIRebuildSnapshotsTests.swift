@testable import Annals
import Foundation
import Testing

/// `annals rebuild` (with or without `--verify`) of a damaged view deletes the snapshots of that view, which copied
/// the damage: otherwise `state` would keep printing it and `rollback` would write it back into the log.
@Suite("annals rebuild and snapshots")
struct CLIRebuildSnapshotsTests {
    private static let ontology = [
        eventLine(
            type: "thing.created", actor: "u", target: "t-1", group: "org-a",
            metadata: #"{"thingType":"plugin","name":"Hub"}"#),
        eventLine(type: "thing.created", actor: "u", target: "t-2", group: "org-a", metadata: #"{"thingType":"lamp"}"#),
    ]

    @Test func snapshotsOfADamagedViewAreDeletedWithIt() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(Self.ontology)
            try Self.rename(thing: "t-1", to: "Tampered", in: fx.store)
            let created = try fx.annals("snapshot", "create")
            try #require(created.status == Exit.ok, "\(created)")
            let tampered = try fx.annals("state", "--at", "2", "--thing", "t-1")
            try #require(tampered.output.contains("Tampered"), "the snapshot copied the damage: \(tampered)")

            let rebuild = try fx.annals("rebuild", "things", "--verify")
            #expect(rebuild.status == Exit.damaged, "\(rebuild)")
            #expect(rebuild.errors.contains("deleted 1 snapshot(s) (offsets 2)"), "\(rebuild)")
            #expect(try fx.annals("snapshot", "list").output.isEmpty)

            let state = try fx.annals("state", "--at", "2", "--thing", "t-1")
            #expect(state.status == Exit.ok, "\(state)")
            let things = try #require(try state.object().array("things") as? [[String: Any]])
            #expect(things.first?["name"] as? String == "Hub", "\(state)")
            let plan = try fx.annals("rollback", "--to", "2", "--dry-run")
            #expect(plan.status == Exit.ok && plan.output.isEmpty, "nothing differs from the log: \(plan)")
        }
    }

    /// A rebuild without `--verify` is what an operator runs on a view that crashes or fails its queries: it deletes
    /// the snapshots of the view it replaces too, and says which in its output.
    @Test func aPlainRebuildDeletesTheSnapshotsOfTheViewItReplaced() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(Self.ontology)
            try Self.rename(thing: "t-1", to: "Tampered", in: fx.store)
            try #require(try fx.annals("snapshot", "create").status == Exit.ok)

            let rebuild = try fx.annals("rebuild", "things")
            #expect(rebuild.status == Exit.ok && rebuild.errors.isEmpty, "\(rebuild)")
            #expect(try rebuild.object().raw["droppedSnapshots"] as? [Int] == [2], "\(rebuild)")
            #expect(try fx.annals("snapshot", "list").output.isEmpty)
            let state = try fx.annals("state", "--at", "2", "--thing", "t-1")
            let things = try #require(try state.object().array("things") as? [[String: Any]])
            #expect(things.first?["name"] as? String == "Hub", "\(state)")
        }
    }

    /// A verified rebuild that finds no differences still swaps a view in: the snapshots of the replaced one go (a
    /// new one is taken from the rebuilt view).
    @Test func aMatchingVerifiedRebuildReportsTheSnapshotsItDeleted() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(Self.ontology)
            try #require(try fx.annals("snapshot", "create").status == Exit.ok)
            let rebuild = try fx.annals("rebuild", "things", "--verify")
            #expect(rebuild.status == Exit.ok && rebuild.errors.isEmpty, "\(rebuild)")
            #expect(try rebuild.object().raw["droppedSnapshots"] as? [Int] == [2], "\(rebuild)")
            #expect(try fx.annals("snapshot", "list").output.isEmpty)
        }
    }

    /// Gives thing `id` another name in its live view record, as damage would (a valid record the log does not
    /// explain); the store is opened in this process while no command runs.
    private static func rename(thing id: String, to name: String, in path: String) throws {
        let store = try EventStore(path: path, options: StoreOptions(createIfMissing: false))
        defer { store.close() }
        let entry = try #require(store.projections.entry("things"))
        try store.write { txn in
            let slot = try #require(try store.projections.state("things", txn.handle)).slot
            let table = entry.slots[Int(slot)][0]
            let stored = try #require(try txn.get(table, key: Array(id.utf8)))
            var thing = try stored.withUnsafeBytes { try Thing(id: id, decoding: $0) }
            thing.name = name
            try txn.put(table, key: Array(id.utf8), value: thing.encoded)
        }
    }
}
