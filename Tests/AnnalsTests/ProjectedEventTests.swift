import Foundation
import Testing

@testable import Annals

/// Projected events keep their metadata as the log's canonical bytes and parse it on first use; the things view
/// applies a properties-only update from those bytes exactly as it applies the parsed one.
@Suite struct ProjectedEventTests {
    private static func recorded(_ type: String, target: String, metadata: String, offset: UInt64 = 7)
        -> RecordedEvent
    {
        RecordedEvent(
            offset: offset, id: UUID(), type: type, actorId: "tester", targetId: target, groupId: "org-1",
            timestamp: 1_700_000_000_000 + Int64(offset), version: offset, metadataJSON: Array(metadata.utf8))
    }

    @Test func canonicalMetadataIsKeptAsBytesAndParsedOnFirstUse() throws {
        let text = #"{"properties":{"score":1.50,"tags":["a","é"]},"status":"on"}"#
        let event = try ProjectedEvent(Self.recorded("thing.updated", target: "t-1", metadata: text))
        #expect(event.canonicalMetadata == Array(text.utf8))
        #expect(event.metadataJSON == Array(text.utf8))
        #expect(event.metadata == (try JSONParser.parse(text)))
        let copy = event
        #expect(copy == event)
        #expect(copy.hashValue == event.hashValue)
    }

    @Test func otherValidMetadataIsParsedAtOnceAndEqualsItsCanonicalForm() throws {
        let spaced = Self.recorded(
            "thing.updated", target: "t-1", metadata: #"{ "status": "on", "properties": {"s": 2} }"#)
        var canonical = spaced
        canonical.metadataJSON = Array(#"{"properties":{"s":2},"status":"on"}"#.utf8)
        let event = try ProjectedEvent(spaced)
        #expect(event.canonicalMetadata == nil)
        #expect(event.metadata == (try JSONParser.parse(spaced.metadataJSON)))
        #expect(try ProjectedEvent(canonical).canonicalMetadata != nil)
        #expect(try ProjectedEvent(canonical) == event)
        #expect(try ProjectedEvent(canonical).hashValue == event.hashValue)
    }

    @Test func metadataThatIsNotJSONIsACorruptRecordNamingItsOffset() {
        for text in [#"{"a":"#, #"{"a":1}}"#, "{\"a\":\"\u{1}\"}"] {
            #expect {
                try ProjectedEvent(Self.recorded("thing.updated", target: "t-1", metadata: text, offset: 42))
            } throws: { error in
                guard case AnnalsError.corruptRecord(let offset, let reason) = error else { return false }
                return offset == 42 && reason.contains("metadata is not valid JSON")
            }
        }
    }

    @Test func settingMetadataReplacesItsBytes() {
        var event = ProjectedEvent(
            offset: 1, id: UUID(), type: "custom", timestamp: 0, version: 1, metadata: ["b": 1, "a": "x"])
        #expect(event.metadataJSON == Array(#"{"a":"x","b":1}"#.utf8))
        event.metadata = ["c": true]
        #expect(event.metadataJSON == Array(#"{"c":true}"#.utf8))
        #expect(event.metadata == ["c": true])
    }

    @Test func propertiesOnlyUpdatesTakeTheByteLevelPathAndOthersDoNot() throws {
        func update(_ text: String, target: String = "thing-1") throws -> ProjectedEvent {
            try ProjectedEvent(Self.recorded("thing.updated", target: target, metadata: text))
        }
        #expect(ThingsProjection.propertiesOnlyUpdate(try update(#"{"properties":{"a":1}}"#)) != nil)
        #expect(ThingsProjection.propertiesOnlyUpdate(try update(#"{"properties":{}}"#)) != nil)
        for other in [
            #"{"properties":{"a":1},"status":"off"}"#, #"{"name":"n","properties":{"a":1}}"#,
            #"{"properties":null}"#, #"{"properties":[1]}"#, #"{ "properties": {"a":1} }"#, #"{}"#,
        ] {
            #expect(ThingsProjection.propertiesOnlyUpdate(try update(other)) == nil, "\(other)")
        }
        #expect(ThingsProjection.propertiesOnlyUpdate(try update(#"{"properties":{"a":1}}"#, target: "")) == nil)
    }

    @Test func aPropertiesOnlyUpdateGivesTheSameRecordFromBytesAsParsed() throws {
        let created = try ProjectedEvent(
            Self.recorded(
                "thing.created", target: "thing-1",
                metadata: #"{"properties":{"n":{"x":1,"y":[1,2]},"score":3,"z":"keep"},"thingType":"device"}"#,
                offset: 1))
        let patch = #"{"properties":{"a":"new","n":{"x":null,"y":"flat"},"score":null}}"#
        let fromBytes = try ProjectedEvent(Self.recorded("thing.updated", target: "thing-1", metadata: patch))
        let parsed = try ProjectedEvent(
            Self.recorded("thing.updated", target: "thing-1", metadata: patch.replacingOccurrences(of: ":", with: ": "))
        )
        #expect(ThingsProjection.propertiesOnlyUpdate(fromBytes) != nil)
        #expect(ThingsProjection.propertiesOnlyUpdate(parsed) == nil)
        var records: [[UInt8]] = []
        for update in [fromBytes, parsed] {
            let tables = MemoryTables(tableCount: 4)
            let context = ProjectionContext(mode: .replay)
            try ThingsProjection().apply(created, to: tables, context: context)
            try ThingsProjection().apply(update, to: tables, context: context)
            records.append(try tables.withValue(ThingsProjection.things, key: Array("thing-1".utf8)) { Array($0!) })
        }
        #expect(records[0] == records[1])
        let thing = try records[0].withUnsafeBytes { try Thing(id: "thing-1", decoding: $0) }
        #expect(
            String(decoding: thing.propertiesJSON, as: UTF8.self) == #"{"a":"new","n":{"y":"flat"},"z":"keep"}"#)
    }

    @Test func aLiveUpdateOfAMissingThingIsRejectedOnTheByteLevelPathToo() throws {
        let update = try ProjectedEvent(
            Self.recorded("thing.updated", target: "thing-9", metadata: #"{"properties":{"a":1}}"#))
        #expect(throws: ProjectionRejection.self) {
            try ThingsProjection().apply(
                update, to: MemoryTables(tableCount: 4), context: ProjectionContext(mode: .live))
        }
        try ThingsProjection().apply(update, to: MemoryTables(tableCount: 4), context: ProjectionContext(mode: .replay))
    }
}
