import Foundation
import Testing

@testable import Annals

@Suite struct AuditTests {
    @Test func countsFailuresAndAnchorsTheReport() async throws {
        try await withStore { store, _ in
            var events = (0..<200).map { sampleEvent($0) }
            events.append(NewEvent(type: "plugin_action_failed", actorId: "user-1", metadata: ["error": "timeout"]))
            events.append(NewEvent(type: "sync_failed", groupId: "org-0", metadata: ["code": 7]))
            _ = try await store.append(contentsOf: events)
            let report = try store.audit()
            let all = try store.events().collect()
            #expect(report.anchor == (try store.head()))
            #expect(report.events == 202 && report.verification.isIntact)
            #expect(report.types["item.updated"] == UInt64(all.filter { $0.type == "item.updated" }.count))
            #expect(
                report.actors.first { $0.actor == "user-1" }?.events
                    == UInt64(all.filter { $0.actorId == "user-1" }.count))
            #expect(report.actors.first { $0.actor == nil }?.events == 1)
            #expect(report.failures.map(\.error) == ["timeout", #"{"code":7}"#])
            #expect(report.json.canonicalBytes == (try store.audit()).json.canonicalBytes)
            let org = try store.audit(EventQuery(groupId: "org-0"))
            #expect(org.events == UInt64(all.filter { $0.groupId == "org-0" }.count))
            #expect(org.verification.recordsChecked == 202)
        }
    }

    /// An event without an actor and an event by the actor whose id is `-` are counted apart: the first under
    /// `actor` `nil` (JSON `null`), listed first, the second under `-`.
    @Test func eventsWithoutAnActorAreNotTheActorDash() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: [
                NewEvent(type: "item.created", targetId: "t"),
                NewEvent(type: "item.updated", actorId: "-", targetId: "t"),
                NewEvent(type: "item.updated", actorId: "-", targetId: "t"),
                NewEvent(type: "item.updated", actorId: "a", targetId: "t"),
            ])
            let report = try store.audit()
            #expect(report.actors.map(\.actor) == [nil, "-", "a"])
            #expect(report.actors.map(\.events) == [1, 2, 1])
            let actors = report.json["actors"]?.arrayValue ?? []
            #expect(actors.map { $0["actor"] } == [.null, .string("-"), .string("a")])
        }
    }

    /// A log whose tail was cut off (meta's head hash no longer matches its last record) or that ends in a malformed
    /// key is audited all the same: the report lists the damage and is anchored to the end of what it checked.
    @Test func aLogWhoseHeadIsDamagedIsReportedNotRefused() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<45).map { sampleEvent($0) })
            let sound = try store.head()
            _ = try await store.append(contentsOf: (45..<50).map { sampleEvent($0) })
            try store.write { txn in
                for offset in UInt64(46)...50 { _ = try txn.delete(store.schema.events, key: offset.bigEndianBytes) }
            }
            #expect(throws: AnnalsError.self) { try store.head() }
            let cut = try store.audit()
            #expect(!cut.verification.isIntact, "\(cut.verification)")
            #expect(cut.anchor?.offset == sound.offset && cut.anchor?.hash == sound.hash)
            #expect(cut.events == 45)
            try store.write { txn in try txn.put(store.schema.events, key: [0x01], value: [0x00]) }
            let malformed = try store.audit()
            #expect(malformed.verification.problems.contains { $0.kind == .malformedKey }, "\(malformed.verification)")
            #expect(
                !malformed.verification.problems.contains { $0.kind == .chainBreak && $0.offset == 0 },
                "\(malformed.verification)")
            #expect(malformed.anchor?.offset == sound.offset)
        }
    }

    /// A cut tail after an unreadable record: the chain cannot be followed to the end of the range, so the report
    /// names no anchor rather than one the log never had.
    @Test func aDamagedHeadPastAnUnreadableRecordHasNoAnchor() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<50).map { sampleEvent($0) })
            try store.write { txn in
                for offset in UInt64(46)...50 { _ = try txn.delete(store.schema.events, key: offset.bigEndianBytes) }
                // Offset 20's payload damaged: its CRC-32C fails.
                var record = try #require(try store.record(at: 20, txn).map { Array($0) })
                record[record.count - 1] ^= 1
                try txn.put(store.schema.events, key: UInt64(20).bigEndianBytes, value: record)
            }
            let report = try store.audit()
            #expect(report.verification.problems.map(\.offset) == [20], "\(report.verification)")
            #expect(report.verification.lastHash == nil)
            #expect(report.anchor == nil, "not the genesis hash at offset 45")
            #expect(report.query.to == 45 && report.events == 44)
            let json = report.json
            #expect(json["anchor"] == .null)
            #expect(json["coveredPrefix"] == .object(["lastOffset": .integer(45), "hash": .null]))
        }
    }

    @Test func aRangeStartingPastTheAnchoredHeadIsRefused() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) })
            #expect(throws: AnnalsError.invalidArgument("the range starts at offset 11, after the last offset 10")) {
                try store.audit(EventQuery(from: 11))
            }
            #expect(try store.audit(EventQuery(from: 10)).events == 1)
        }
    }
}
