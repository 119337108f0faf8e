import Foundation
import Testing

@testable import Annals

/// The JSON line of a recorded event, as `annals read` and `annals tail` print it.
@Suite struct EventJSONOutputTests {
    @Test func idsAreWrittenInLowercaseAsFoundationSpellsThem() {
        var ids = [
            UUID(uuidString: "6F1C2A9E-0D43-4E8B-9A51-2B7F3C4D5E6F")!,
            UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
            UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)),
        ]
        ids += (0..<200).map { _ in UUID() }
        for id in ids { #expect(id.lowercasedString == id.uuidString.lowercased()) }
        #expect(ids[0].lowercasedString == "6f1c2a9e-0d43-4e8b-9a51-2b7f3c4d5e6f")
    }

    @Test func aRecordedEventIsOneJSONObjectWithEveryField() async throws {
        try await withStore { store, _ in
            let id = UUID(uuidString: "6F1C2A9E-0D43-4E8B-9A51-2B7F3C4D5E6F")!
            _ = try await store.append(
                NewEvent(
                    id: id, type: "item.created", actorId: "u", targetId: "t", groupId: "g", timestamp: 1_000,
                    metadata: ["k": .integer(1)]))
            let event = try #require(try store.event(at: 1))
            var line: [UInt8] = []
            event.appendJSON(to: &line)
            #expect(
                String(decoding: line, as: UTF8.self)
                    == #"{"offset":1,"id":"6f1c2a9e-0d43-4e8b-9a51-2b7f3c4d5e6f","type":"item.created","actorId":"u","#
                    + #""targetId":"t","groupId":"g","timestamp":1000,"version":1,"metadata":{"k":1}}"#)
        }
    }
}
