import Foundation
import Testing

import Annals

/// The README's embedding example, compiled and run as written (against a temporary store).
@Suite struct ReadmeExampleTests {
    @Test func theEmbeddingExampleWorks() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(path: directory + "/events")  // created on first open
            defer { store.close() }

            let receipt = try await store.append(
                NewEvent(
                    type: "item.created", actorId: "user-42", targetId: "thing-1", groupId: "org-acme",
                    metadata: ["name": "Lamp", "status": "active"]))
            #expect(receipt.offset == 1 && receipt.version == 1)

            _ = try await store.append(contentsOf: [
                NewEvent(
                    type: "item.updated", targetId: "thing-1", metadata: ["status": "archived"],
                    expectedVersion: receipt.version),
                NewEvent(type: "link.created", targetId: "thing-1", metadata: ["toId": "thing-2"]),
            ])

            let mailer = Task {
                var seen: [String] = []
                for try await event in try store.subscribe("mailer", filter: EventFilter(types: ["item.*"])) {
                    seen.append(event.type)
                    try store.acknowledge("mailer", through: event.offset)
                    if seen.count == 2 { break }
                }
                return seen
            }
            #expect(try await mailer.value == ["item.created", "item.updated"])

            var types: [String] = []
            for try await event in store.events(EventQuery(targetId: "thing-1")) { types.append(event.type) }
            #expect(types == ["item.created", "item.updated", "link.created"])
            let head = try store.head()
            let report = try store.verify(anchor: VerificationAnchor(hash: head.hash, offset: head.offset))
            #expect(report.isIntact)
        }
    }
}
