import Foundation
import Testing

@testable import Annals

/// The fixture log in `Snapshots/ontology/` and the expected projection dumps and rollback results there,
/// compared byte for byte. Set `ANNALS_UPDATE_GOLDEN=1` to rewrite the expected files after an intended change.
@Suite struct GoldenFileTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Snapshots/ontology").path
    static let offsets: [UInt64] = [3, 5, 10, 13, 16, 20]
    /// When the rollbacks happen (2026-02-01), so that the expected files do not depend on the clock.
    static let rollbackTime: Int64 = 1_769_904_000_000
    static let updating = ProcessInfo.processInfo.environment["ANNALS_UPDATE_GOLDEN"] == "1"

    static func fixtureEvents() throws -> [NewEvent] {
        let text = try String(contentsOfFile: directory + "/events.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { line in try NewEvent(json: try JSONParser.parse(String(line))) }
    }

    /// Compares `actual` with the golden file `name` (or writes it when updating).
    static func check(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = directory + "/" + name
        if updating {
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(actual == expected, "\(name) differs from the golden file", sourceLocation: sourceLocation)
    }

    /// A dump as pretty, stable text: one canonical JSON line per entity, grouped.
    static func pretty(_ view: OntologyView) throws -> String {
        var lines = ["# things"]
        lines += try view.things(ThingFilter(limit: .max)).map(\.json.canonicalString)
        lines.append("# connections")
        lines += try view.connections(ConnectionFilter(limit: .max)).map(\.json.canonicalString)
        lines.append("# knowledge")
        lines += try view.knowledge(KnowledgeFilter(limit: .max)).map(\.json.canonicalString)
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func theFixtureReplaysRebuildsAndTimeTravelsToTheGoldenStates() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            var snapshotsTaken: [UInt64] = []
            for (index, event) in try Self.fixtureEvents().enumerated() {
                _ = try await store.append(event)
                let offset = UInt64(index + 1)
                if Self.offsets.contains(offset) {
                    try Self.check(try store.read { try Self.pretty($0) }, "state-at-\(offset).txt")
                }
                if offset % 7 == 0 { snapshotsTaken.append(try store.createSnapshot().offset) }
            }
            #expect(snapshotsTaken == [7, 14])
            for offset in Self.offsets {
                let state = try store.state(at: offset)
                #expect(state.snapshotOffset == snapshotsTaken.last { $0 <= offset })
                try Self.check(try Self.pretty(state.view), "state-at-\(offset).txt")
            }
            // The swap of each rebuilt view deletes the snapshots of the view it replaced.
            let results = try store.rebuild(verify: true)
            #expect(results.allSatisfy { $0.differences.isEmpty && $0.digest == $0.previousDigest })
            #expect(results.allSatisfy { $0.droppedSnapshots == snapshotsTaken })
            try Self.check(try store.read { try Self.pretty($0) }, "state-at-20.txt")
            #expect(try store.snapshots().isEmpty && store.state(at: 14).snapshotOffset == nil)
            let plan = try store.planRollback(to: 10, scope: .all, actorId: "auditor", timestamp: Self.rollbackTime)
            try Self.check(
                plan.changes.map(\.json.canonicalString).joined(separator: "\n") + "\n", "rollback-to-10.jsonl")
            _ = try await store.rollback(to: 10, scope: .all, actorId: "auditor", timestamp: Self.rollbackTime)
            try Self.check(try store.read { try Self.pretty($0) }, "after-rollback-to-10.txt")
            let lampOnly = try store.planRollback(to: 5, scope: .thing("lamp"), actorId: "auditor")
            try Self.check(
                lampOnly.changes.map(\.json.canonicalString).joined(separator: "\n") + "\n",
                "rollback-lamp-to-5.jsonl")
        }
    }
}
