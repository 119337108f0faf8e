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
                    type: "thing.created", actorId: "user-42", targetId: "lamp-1", groupId: "org-acme",
                    metadata: ["thingType": "device", "name": "Lamp", "properties": ["watts": 40]]))
            #expect(receipt.offset == 1 && receipt.version == 1)

            _ = try await store.append(contentsOf: [
                NewEvent(
                    type: "thing.updated", targetId: "lamp-1", metadata: ["properties": ["watts": 60]],
                    expectedVersion: receipt.version),
                NewEvent(
                    type: "thing.created", targetId: "switch-1", groupId: "org-acme",
                    metadata: ["thingType": "control"]),
                NewEvent(
                    type: "connection.created", targetId: "switch-1-lamp-1", groupId: "org-acme",
                    metadata: ["fromId": "switch-1", "toId": "lamp-1", "connectionType": "controls"]),
                NewEvent(
                    type: "knowledge.added", targetId: "lamp-1-manual", groupId: "org-acme",
                    metadata: [
                        "thingId": "lamp-1", "text": "A dimmable reading lamp for the hall", "labels": ["manual"],
                    ]),
            ])

            let lamp = try store.thing("lamp-1")
            #expect(lamp?.properties == ["watts": 60])
            let controls = try store.connections(ConnectionFilter(toId: "lamp-1"))
            #expect(controls.map(\.id) == ["switch-1-lamp-1"])
            let hits = try store.search(SearchQuery("reading light", groupId: "org-acme"))
            #expect(hits.first?.item.id == "lamp-1-manual")
            let before = try store.state(at: receipt.offset).view.thing("lamp-1")
            #expect(before?.properties == ["watts": 40])

            let mailer = Task {
                var seen: [String] = []
                for try await event in try store.subscribe("mailer", filter: EventFilter(types: ["thing.*"])) {
                    seen.append(event.type)
                    try store.acknowledge("mailer", through: event.offset)
                    if seen.count == 3 { break }
                }
                return seen
            }
            #expect(try await mailer.value == ["thing.created", "thing.updated", "thing.created"])

            var types: [String] = []
            for try await event in store.events(EventQuery(targetId: "lamp-1")) { types.append(event.type) }
            #expect(types == ["thing.created", "thing.updated"])
            let head = try store.head()
            let report = try store.verify(anchor: VerificationAnchor(hash: head.hash, offset: head.offset))
            #expect(report.isIntact)
        }
    }
}
