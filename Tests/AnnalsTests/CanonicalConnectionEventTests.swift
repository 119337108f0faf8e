import Foundation
import Testing

@testable import Annals

/// The connections view applies plain `connection.created` and `connection.updated` events from their canonical
/// bytes exactly as it applies them parsed.
@Suite struct CanonicalConnectionEventTests {
    private static func event(_ type: String, target: String, metadata: String, offset: UInt64) throws
        -> ProjectedEvent
    {
        try ProjectedEvent(
            RecordedEvent(
                offset: offset, id: UUID(), type: type, actorId: "tester", targetId: target, groupId: "org-1",
                timestamp: 1_700_000_000_000 + Int64(offset), version: 1, metadataJSON: Array(metadata.utf8)))
    }

    /// Every table of the connections view after `events` (type and metadata), read from canonical bytes or,
    /// `spaced`, parsed.
    private static func connectionsTables(after events: [(String, String)], spaced: Bool) throws -> [[[UInt8]]] {
        let tables = MemoryTables(tableCount: 4)
        for (index, (type, text)) in events.enumerated() {
            let metadata = spaced ? text.replacingOccurrences(of: "\":", with: "\": ") : text
            let event = try Self.event(type, target: "conn-1", metadata: metadata, offset: UInt64(index + 1))
            #expect((CanonicalConnectionEvent(event) != nil) == !spaced, "\(metadata)")
            try ConnectionsProjection().apply(event, to: tables, context: ProjectionContext(mode: .replay))
        }
        return try tables.entries(tableCount: 4)
    }

    @Test func createdAndUpdatedConnectionsGiveTheSameViewFromBytesAsParsed() throws {
        let events = [
            ("connection.created", #"{"connectionType":"links_to","fromId":"t-1","properties":{"w":1},"toId":"t-2"}"#),
            ("connection.updated", #"{"properties":{"note":"a \"b\"","w":null}}"#),
            ("connection.updated", #"{"connectionType":"links_to","fromId":"t-1","properties":{"x":{"y":[1]}}}"#),
        ]
        let fromBytes = try Self.connectionsTables(after: events, spaced: false)
        #expect(fromBytes == (try Self.connectionsTables(after: events, spaced: true)))
        #expect(fromBytes.map(\.count) == [1, 1, 1, 1])
        let record = try #require(fromBytes[0].first)
        let connection = try Array(record[("conn-1".utf8.count + 1)...]).withUnsafeBytes {
            try Connection(id: "conn-1", decoding: $0)
        }
        #expect(String(decoding: connection.propertiesJSON, as: UTF8.self) == #"{"note":"a \"b\"","x":{"y":[1]}}"#)
        let bare = [("connection.created", #"{"connectionType":"near","fromId":"t-1","toId":"t-3"}"#)]
        #expect(
            try Self.connectionsTables(after: bare, spaced: false)
                == (try Self.connectionsTables(after: bare, spaced: true)))
    }

    @Test func otherShapesAreLeftToTheParser() throws {
        let others = [
            ("connection.created", #"{"connectionType":"links_to","fromId":"t-1"}"#),
            ("connection.created", #"{"connectionType":"","fromId":"t-1","toId":"t-2"}"#),
            ("connection.created", #"{"connectionType":"x","fromId":"t-1","toId":"t-2","weight":1}"#),
            ("connection.created", #"{"connectionType":"x","fromId":"t-1","properties":[],"toId":"t-2"}"#),
            ("connection.updated", #"{"fromId":"t-1"}"#),
            ("connection.updated", #"{"fromId":null,"properties":{}}"#),
            ("connection.deleted", #"{}"#),
        ]
        for (type, metadata) in others {
            let event = try Self.event(type, target: "conn-1", metadata: metadata, offset: 1)
            #expect(CanonicalConnectionEvent(event) == nil, "\(type) \(metadata)")
        }
    }

    @Test func aLiveUpdateThatChangesAnEndpointIsRejectedOnTheByteLevelPathToo() throws {
        let tables = MemoryTables(tableCount: 4)
        let created = try Self.event(
            "connection.created", target: "conn-1",
            metadata: #"{"connectionType":"links_to","fromId":"t-1","toId":"t-2"}"#, offset: 1)
        try ConnectionsProjection().apply(created, to: tables, context: ProjectionContext(mode: .replay))
        let moved = try Self.event(
            "connection.updated", target: "conn-1", metadata: #"{"properties":{},"toId":"t-9"}"#, offset: 2)
        #expect(CanonicalConnectionEvent(moved) != nil)
        #expect {
            try ConnectionsProjection().apply(moved, to: tables, context: ProjectionContext(mode: .live))
        } throws: { error in
            (error as? ProjectionRejection)?.description.contains("cannot change") == true
        }
    }
}
