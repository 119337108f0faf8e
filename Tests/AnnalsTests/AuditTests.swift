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
            #expect(report.actors.first { $0.actor == "-" }?.events == 1)
            #expect(report.failures.map(\.error) == ["timeout", #"{"code":7}"#])
            #expect(report.json.canonicalBytes == (try store.audit()).json.canonicalBytes)
            let org = try store.audit(EventQuery(groupId: "org-0"))
            #expect(org.events == UInt64(all.filter { $0.groupId == "org-0" }.count))
            #expect(org.verification.recordsChecked == 202)
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
