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
        #expect(event.canonicalMetadataMembers?.bytes == Array(text.utf8))
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
        #expect(event.canonicalMetadataMembers == nil)
        #expect(event.metadata == (try JSONParser.parse(spaced.metadataJSON)))
        #expect(try ProjectedEvent(canonical).canonicalMetadataMembers != nil)
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

    @Test func plainUpdatesAreReadFromTheBytesAndOthersAreLeftToTheParser() throws {
        func update(_ text: String, target: String = "thing-1") throws -> CanonicalThingUpdate? {
            CanonicalThingUpdate(try ProjectedEvent(Self.recorded("thing.updated", target: target, metadata: text)))
        }
        let patchOnly = try #require(try update(#"{"properties":{"a":1}}"#))
        #expect(patchOnly.name == nil && patchOnly.status == nil)
        #expect(patchOnly.propertiesPatch.map(Array.init) == Array(#"{"a":1}"#.utf8))
        let all = try #require(try update(#"{"name":"Lamp \"2\"","properties":{},"status":"off"}"#))
        #expect(all.name == .some("Lamp \"2\"") && all.status == "off")
        #expect(all.propertiesPatch.map(Array.init) == Array("{}".utf8))
        let cleared = try #require(try update(#"{"name":null}"#))
        #expect(cleared.name == .some(nil) && cleared.propertiesPatch == nil)
        for other in [
            #"{"properties":null}"#, #"{"properties":[1]}"#, #"{ "properties": {"a":1} }"#, #"{}"#,
            #"{"name":1}"#, #"{"status":null}"#, #"{"status":""}"#, #"{"properties":{},"extra":1}"#,
        ] {
            #expect(try update(other) == nil, "\(other)")
        }
        #expect(try update(#"{"properties":{"a":1}}"#, target: "") == nil)
    }

    /// Every table of the things view after a thing is created with `created` and then changed by `updates`
    /// (metadata texts), read from canonical bytes or, `spaced`, parsed.
    private static func thingsTables(
        created: String =
            #"{"name":"Old","properties":{"n":{"x":1,"y":[1,2]},"score":3,"z":"keep"},"thingType":"device"}"#,
        after updates: [String], spaced: Bool
    ) throws -> [[[UInt8]]] {
        func metadata(_ text: String) -> String { spaced ? text.replacingOccurrences(of: "\":", with: "\": ") : text }
        let creation = try ProjectedEvent(
            recorded("thing.created", target: "thing-1", metadata: metadata(created), offset: 1))
        #expect((CanonicalThingCreation(creation) != nil) == !spaced, "\(created)")
        let tables = MemoryTables(tableCount: 4)
        let context = ProjectionContext(mode: .replay)
        try ThingsProjection().apply(creation, to: tables, context: context)
        for (index, text) in updates.enumerated() {
            let update = try ProjectedEvent(
                recorded("thing.updated", target: "thing-1", metadata: metadata(text), offset: UInt64(index + 2)))
            #expect((CanonicalThingUpdate(update) != nil) == !spaced, "\(text)")
            try ThingsProjection().apply(update, to: tables, context: context)
        }
        return try tables.entries(tableCount: 4)
    }

    @Test func updatesGiveTheSameViewFromBytesAsParsed() throws {
        let updates = [
            #"{"properties":{"a":"new","n":{"x":null,"y":"flat"},"score":null}}"#,
            #"{"status":"retired"}"#,
            #"{"name":"New \"one\"","properties":{"b":{"c":null,"d":2}},"status":"active"}"#,
            #"{"name":null}"#,
            #"{"properties":{}}"#,
        ]
        let fromBytes = try Self.thingsTables(after: updates, spaced: false)
        let parsed = try Self.thingsTables(after: updates, spaced: true)
        #expect(fromBytes == parsed)
        let record = try #require(fromBytes[0].first)
        let thing = try Array(record[("thing-1".utf8.count + 1)...]).withUnsafeBytes {
            try Thing(id: "thing-1", decoding: $0)
        }
        #expect(thing.name == nil && thing.status == "active")
        #expect(
            String(decoding: thing.propertiesJSON, as: UTF8.self)
                == #"{"a":"new","b":{"d":2},"n":{"y":"flat"},"z":"keep"}"#)
    }

    @Test func creationsGiveTheSameViewFromBytesAsParsed() throws {
        for created in [
            #"{"thingType":"lamp"}"#, #"{"name":"A \\ b","status":"off","thingType":"lamp"}"#,
            #"{"properties":{"k":[1,{"x":null}]},"thingType":"lamp"}"#,
        ] {
            let fromBytes = try Self.thingsTables(created: created, after: [], spaced: false)
            let parsed = try Self.thingsTables(created: created, after: [], spaced: true)
            #expect(fromBytes == parsed, "\(created)")
        }
        for other in [
            #"{"name":null,"thingType":"lamp"}"#, #"{"thingType":""}"#, #"{"properties":null,"thingType":"lamp"}"#,
            #"{"status":"on"}"#, #"{"extra":1,"thingType":"lamp"}"#,
        ] {
            let event = try ProjectedEvent(Self.recorded("thing.created", target: "thing-1", metadata: other))
            #expect(CanonicalThingCreation(event) == nil, "\(other)")
        }
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
