import Foundation
import Testing

@testable import Annals

@Suite struct EventValidationTests {
    private func fieldError(_ event: NewEvent) -> (field: String, reason: String)? {
        do {
            try EventValidation.validate(event, index: 3)
            return nil
        } catch {
            if case .invalidEvent(let index, let field, let reason) = error {
                #expect(index == 3)
                return (field, reason)
            }
            return nil
        }
    }

    @Test func acceptsAWellFormedEvent() {
        #expect(
            fieldError(NewEvent(type: "plugin_action:executed.v2-x", actorId: "u", targetId: "t", groupId: "g")) == nil)
    }

    @Test func eventTypePrefixesAreComparedAsBytes() {
        #expect("thing.updated".hasEventTypePrefix("thing."))
        #expect("thing.".hasEventTypePrefix("thing."))
        #expect(!"thing".hasEventTypePrefix("thing."))
        #expect(!"things.updated".hasEventTypePrefix("thing."))
        #expect(!"connection.created.with-a-long-suffix".hasEventTypePrefix("knowledge."))
        #expect("connection.created.with-a-long-suffix".hasEventTypePrefix("connection."))
        #expect("anything".hasEventTypePrefix(""))
    }

    @Test func typeRules() {
        #expect(fieldError(NewEvent(type: ""))?.field == "type")
        #expect(fieldError(NewEvent(type: String(repeating: "a", count: 129)))?.reason.contains("128") == true)
        #expect(fieldError(NewEvent(type: "thing created"))?.reason.contains("' '") == true)
        #expect(fieldError(NewEvent(type: "thing/created"))?.field == "type")
        #expect(fieldError(NewEvent(type: "é"))?.field == "type")
        #expect(fieldError(NewEvent(type: String(repeating: "a", count: 128))) == nil)
    }

    @Test func identifierRules() {
        #expect(fieldError(NewEvent(type: "t", actorId: ""))?.field == "actorId")
        #expect(fieldError(NewEvent(type: "t", targetId: String(repeating: "x", count: 257)))?.field == "targetId")
        #expect(fieldError(NewEvent(type: "t", groupId: "a\u{0}b"))?.field == "groupId")
        #expect(fieldError(NewEvent(type: "t", groupId: "org ✓")) == nil)
        // Canonically equivalent spellings: only the composed (NFC) one is accepted.
        #expect(fieldError(NewEvent(type: "t", targetId: "caf\u{E9}")) == nil)
        #expect(fieldError(NewEvent(type: "t", targetId: "cafe\u{301}"))?.reason.contains("NFC") == true)
    }

    @Test func timestampMetadataAndExpectedVersion() {
        #expect(fieldError(NewEvent(type: "t", timestamp: -1))?.field == "timestamp")
        #expect(fieldError(NewEvent(type: "t", metadata: [1, 2]))?.field == "metadata")
        #expect(fieldError(NewEvent(type: "t", expectedVersion: 0))?.field == "expectedVersion")
    }

    @Test func decodesFromJSONNamingTheField() throws {
        let event = try NewEvent(
            json: try JSONParser.parse(
                #"{"id":"6f1c2a9e-0d43-4e8b-9a51-2b7f3c4d5e6f","type":"a.b","targetId":"t","timestamp":"2026-11-25T10:00:00Z","expectedVersion":3,"metadata":{"k":1}}"#
            ))
        #expect(event.id == UUID(uuidString: "6f1c2a9e-0d43-4e8b-9a51-2b7f3c4d5e6f"))
        #expect(event.timestamp == 1_795_600_800_000)
        #expect(event.expectedVersion == 3)
        func failure(_ json: String) -> EventDecodingError? {
            do {
                _ = try NewEvent(json: try JSONParser.parse(json))
                return nil
            } catch let error as EventDecodingError {
                return error
            } catch {
                return nil
            }
        }
        #expect(failure(#"{"actorId":"u"}"#)?.field == "type")
        #expect(failure(#"{"type":5}"#)?.field == "type")
        #expect(failure(#"{"type":"t","id":"nope"}"#)?.field == "id")
        #expect(failure(#"{"type":"t","timestamp":1.5}"#)?.field == "timestamp")
        #expect(failure(#"{"type":"t","timestamp":"yesterday"}"#)?.field == "timestamp")
        #expect(failure(#"{"type":"t","metadata":[1]}"#)?.field == "metadata")
        #expect(failure(#"{"type":"t","expectedVersion":-1}"#)?.field == "expectedVersion")
        #expect(failure(#"{"type":"t","target":"x"}"#)?.field == "target")
        #expect(failure(#"[1]"#)?.field == "")
        #expect(failure(#"{"type":"t","actorId":7}"#)?.description == "field 'actorId' must be a string")
    }
}
