import Foundation
import Testing

@testable import Annals

/// Names and ids spelled in different but canonically equivalent ways (NFC `é` and NFD `e` + U+0301) are one name:
/// views store the NFC spelling, and every query maps its arguments to it.
@Suite struct UnicodeSpellingTests {
    static let composed = "caf\u{e9}"  // the thing's id, NFC (targetId must be)
    static let decomposed = "cafe\u{301}"
    static let stateNFC = "\u{e9}tat"
    static let stateNFD = "e\u{301}tat"

    private func seed(_ store: EventStore) async throws {
        _ = try await store.append(contentsOf: [
            Vocabulary.thing(Self.composed, type: "r\u{e9}seau", status: Self.stateNFD),
            Vocabulary.thing("hub", type: "re\u{301}seau"),
            Vocabulary.connect("c1", from: Self.decomposed, to: "hub", type: "lie\u{301}"),
            NewEvent(
                type: "knowledge.added", targetId: "k1", groupId: "org-1",
                metadata: [
                    "thingId": .string(Self.decomposed), "text": "the espresso bar", "labels": ["cafe\u{301}"],
                ]),
        ])
    }

    @Test func eitherSpellingFindsTheSameEntities() async throws {
        try await withStore { store, _ in
            try await seed(store)
            for (id, state, type, label) in [
                (Self.composed, Self.stateNFC, "r\u{e9}seau", "caf\u{e9}"),
                (Self.decomposed, Self.stateNFD, "re\u{301}seau", "cafe\u{301}"),
            ] {
                #expect(try store.thing(id)?.id.utf8.elementsEqual(Self.composed.utf8) == true)
                #expect(try store.things(ThingFilter(status: state)).map(\.id) == [Self.composed])
                #expect(try store.things(ThingFilter(thingType: type)).count == 2)
                #expect(try store.things(ThingFilter(thingType: type, status: state)).map(\.id) == [Self.composed])
                #expect(try store.connections(ConnectionFilter(fromId: id)).map(\.id) == ["c1"])
                #expect(try store.connections(ConnectionFilter(connectionType: "li\u{e9}")).map(\.id) == ["c1"])
                #expect(try store.knowledge(KnowledgeFilter(thingId: id)).map(\.id) == ["k1"])
                #expect(try store.knowledge(KnowledgeFilter(labels: [label])).map(\.id) == ["k1"])
                #expect(try store.search(SearchQuery("espresso", labels: [label])).map(\.item.id) == ["k1"])
                #expect(try store.neighbourhood(of: id).things.count == 2)
                let past = try store.state(at: 4, scope: .thing(id)).view
                #expect(try past.connections(ConnectionFilter(fromId: Self.composed)).map(\.id) == ["c1"])
            }
            // Stored in NFC, whatever the event spelled.
            let thing = try #require(try store.thing(Self.composed))
            #expect(thing.status.utf8.elementsEqual(Self.stateNFC.utf8))
            let connection = try #require(try store.read { try $0.connection("c1") })
            #expect(connection.fromId.utf8.elementsEqual(Self.composed.utf8))
        }
    }

    /// Metadata appended before object keys were written in NFC can hold a key in another form: the projections
    /// merge such properties parsed (which normalizes the keys), not as bytes, so a rebuild keeps one key.
    @Test func propertiesAppendedWithKeysInAnotherFormStillMergeIntoOneKey() throws {
        let tables = MemoryTables(tableCount: 4)
        let texts = [
            ("thing.created", #"{"properties":{"keep":"me","o":{"\#u{e9}":1}},"thingType":"x"}"#),
            ("thing.updated", #"{"properties":{"o":{"e\#u{301}":2}}}"#),
        ]
        for (index, (type, text)) in texts.enumerated() {
            let event = try ProjectedEvent(
                RecordedEvent(
                    offset: UInt64(index + 1), id: UUID(), type: type, actorId: nil, targetId: "t-1", groupId: nil,
                    timestamp: 1_700_000_000_000, version: UInt64(index + 1), metadataJSON: Array(text.utf8)))
            try ThingsProjection().apply(event, to: tables, context: ProjectionContext(mode: .replay))
        }
        let thing = try #require(try ThingsProjection.thing("t-1", in: tables))
        #expect(thing.properties == ["keep": "me", "o": ["\u{e9}": 2]])
        #expect(String(decoding: thing.propertiesJSON, as: UTF8.self) == #"{"keep":"me","o":{"\#u{e9}":2}}"#)
    }

    @Test func updatesInEitherSpellingKeepOneIndexEntry() async throws {
        try await withStore { store, _ in
            try await seed(store)
            // The fast path of a status update leaves a decomposed status to the parsed event, which maps it.
            _ = try await store.append(Vocabulary.update(Self.composed, status: "pr\u{ea}t"))
            _ = try await store.append(Vocabulary.update(Self.composed, status: "pre\u{302}t"))
            #expect(try store.things(ThingFilter(status: "pr\u{ea}t")).map(\.id) == [Self.composed])
            #expect(try store.things(ThingFilter(status: Self.stateNFC)).isEmpty)
            _ = try await store.append(
                NewEvent(
                    type: "connection.updated", targetId: "c1",
                    metadata: ["fromId": .string(Self.decomposed), "properties": ["weight": 2]]))
            #expect(try store.read { try $0.connection("c1") }?.properties == ["weight": 2])
            #expect(try store.rebuild(verify: true).allSatisfy { $0.differences.isEmpty })
        }
    }

    /// An embedder's projection that keeps the bytes of every metadata key, nested ones included.
    private struct KeyBytes: Projection {
        let name = "key-bytes"
        let version = 1
        let tableNames = ["keys"]

        func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
            func record(_ value: JSONValue, prefix: [UInt8]) throws {
                for (key, member) in value.objectValue ?? [:] {
                    let path = prefix + Array(key.utf8)
                    try tables.put(ProjectionTable(0), key: path, value: [1])
                    try record(member, prefix: path + [UInt8(ascii: "/")])
                }
            }
            try record(event.metadata, prefix: [])
        }
    }

    @Test func aProjectionSeesTheSameKeysLiveAsInARebuildOrTimeTravel() async throws {
        try await withStore(StoreOptions(projections: [KeyBytes()], snapshotInterval: 0)) { store, _ in
            // It got the keys as appended (NFD) live, and as the log stores them (NFC) when replayed: the rebuilt
            // view and the one at the same offset in the past differed from the live one.
            let receipt = try await store.append(
                NewEvent(type: "note", metadata: [Self.decomposed: ["pre\u{302}t": 1], "plain": "ascii"]))
            let expected = [
                Self.composed, Self.composed + "/pr\u{ea}t", "plain",
            ].map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
            let live = try store.read(projection: "key-bytes") { try $0.keys(ProjectionTable(0), prefix: []) }
            #expect(live == expected)
            let past = try store.state(at: receipt.offset, of: "key-bytes").tables
            #expect(try past.keys(ProjectionTable(0), prefix: []) == expected)
            #expect(try store.rebuild(["key-bytes"], verify: true).allSatisfy { $0.differences.isEmpty })
            #expect(try store.read(projection: "key-bytes") { try $0.keys(ProjectionTable(0), prefix: []) } == expected)
        }
    }

    /// Names (and texts) are stored as spelled, so a change from one spelling to another is a change: a rollback
    /// restores the earlier bytes, and a merge patch between the two carries it.
    @Test func aRollbackRestoresTheSpellingOfAName() async throws {
        try await withStore { store, _ in
            let created = try await store.append(Vocabulary.thing("t", name: Self.composed))
            _ = try await store.append(Vocabulary.update("t", name: Self.decomposed))
            let (plan, _) = try await store.rollback(to: created.offset, actorId: "op")
            #expect(plan.events.map(\.type) == ["thing.restored"])
            #expect(try store.thing("t")?.name?.utf8.elementsEqual(Self.composed.utf8) == true)
        }
        let patch = JSONValue.object(["name": .string(Self.composed)]).mergePatch(
            to: ["name": .string(Self.decomposed)])
        #expect(patch["name"]?.stringValue?.utf8.elementsEqual(Self.decomposed.utf8) == true)
    }
}
