import Foundation
import Testing

@testable import Annals

/// The built-in things, connections and knowledge projections: queries and the rejection policy.
@Suite struct OntologyProjectionTests {
    private func seed(_ store: EventStore) async throws {
        _ = try await store.append(contentsOf: [
            Vocabulary.thing("lamp", name: "Lamp", properties: ["watts": 40, "room": "hall"]),
            Vocabulary.thing("switch", type: "control", name: "Switch"),
            Vocabulary.thing("hub", type: "control", group: "org-2", status: "offline"),
            Vocabulary.connect("c1", from: "switch", to: "lamp", type: "controls"),
            Vocabulary.connect("c2", from: "hub", to: "switch", type: "manages", group: "org-2"),
            Vocabulary.knowledge("k1", about: "lamp", text: "A warm reading lamp in the hall", labels: ["manual"]),
            Vocabulary.knowledge(
                "k2", about: "hub", text: "The hub bridges zigbee devices", labels: ["spec"],
                group: "org-2"),
        ])
    }

    @Test func thingsAreQueriedByIdTypeGroupAndStatus() async throws {
        try await withStore { store, _ in
            try await seed(store)
            let lamp = try #require(try store.thing("lamp"))
            #expect(lamp.thingType == "device" && lamp.name == "Lamp" && lamp.status == "active")
            #expect(lamp.properties == ["watts": 40, "room": "hall"])
            #expect(lamp.groupId == "org-1" && lamp.stamp.createdOffset == 1)
            #expect(try store.things(ThingFilter(thingType: "control")).map(\.id) == ["hub", "switch"])
            // By the group index's order: group, type, id.
            #expect(try store.things(ThingFilter(groupId: "org-1")).map(\.id) == ["switch", "lamp"])
            #expect(try store.things(ThingFilter(thingType: "control", groupId: "org-1")).map(\.id) == ["switch"])
            #expect(try store.things(ThingFilter(status: "offline")).map(\.id) == ["hub"])
            #expect(try store.things(ThingFilter(limit: 2)).count == 2)
            #expect(try store.thing("missing") == nil)
            // An id no entity can have (empty, or too long to be a key) is simply not there.
            for impossible in ["", String(repeating: "x", count: 600)] {
                #expect(try store.thing(impossible) == nil)
                #expect(try store.read { try $0.connection(impossible) } == nil)
                #expect(try store.read { try $0.knowledgeItem(impossible) } == nil)
            }
        }
    }

    @Test func aPatchSpellingAKeyAnotherWayReplacesItInsteadOfLosingTheProperties() async throws {
        try await withStore { store, _ in
            _ = try await store.append(
                Vocabulary.thing("note", properties: ["keep": "me", "o": ["\u{e9}": 1], "\u{e9}t\u{e9}": true]))
            // The same keys in decomposed form: canonically equivalent, different bytes.
            _ = try await store.append(
                Vocabulary.update("note", patch: ["o": ["e\u{301}": 2], "e\u{301}te\u{301}": nil]))
            let note = try #require(try store.thing("note"))
            #expect(note.properties == ["keep": "me", "o": ["\u{e9}": 2]])
            #expect(String(decoding: note.propertiesJSON, as: UTF8.self) == "{\"keep\":\"me\",\"o\":{\"\u{e9}\":2}}")
            #expect(
                try store.rebuild(verify: true).allSatisfy { $0.differences.isEmpty && $0.digest == $0.previousDigest })
        }
    }

    @Test func suppliedEmbeddingsTooLargeOrTooSmallToSquareAreScaledNotZeroed() async throws {
        try await withStore { store, _ in
            try await seed(store)
            let dimensions = FeatureHashingEmbedder().dimensions
            func vector(_ leading: [Double]) -> JSONValue {
                .array((leading + Array(repeating: 0, count: dimensions - leading.count)).map { JSONValue.double($0) })
            }
            let supplied: [(id: String, leading: [Double], expected: [Float])] = [
                ("k-big", [1e20], [1]), ("k-huge", [1e300, -1e300], [0.70710677, -0.70710677]),
                ("k-tiny", [3e-30, 4e-30], [0.6, 0.8]),
            ]
            for item in supplied {
                _ = try await store.append(
                    NewEvent(
                        type: "knowledge.added", targetId: item.id,
                        metadata: ["thingId": "lamp", "text": "a vector", "embedding": vector(item.leading)]))
                let stored = try #require(try store.read { try $0.knowledgeItem(item.id) }?.suppliedEmbedding)
                for (index, expected) in item.expected.enumerated() {
                    #expect(abs(stored[index] - expected) < 1e-6, "\(item.id)[\(index)]: \(stored[index])")
                }
                #expect(stored.allSatisfy { $0.isFinite })
            }
            #expect(try store.rebuild(verify: true).allSatisfy { $0.differences.isEmpty })
        }
    }

    @Test func updatesMergePropertiesAndMoveIndexes() async throws {
        try await withStore { store, _ in
            try await seed(store)
            _ = try await store.append(
                Vocabulary.update("lamp", status: "broken", patch: ["watts": 60, "room": nil, "bulb": ["kind": "led"]]))
            let lamp = try #require(try store.thing("lamp"))
            #expect(lamp.properties == ["watts": 60, "bulb": ["kind": "led"]])
            #expect(lamp.status == "broken" && lamp.stamp.updatedOffset == 8 && lamp.stamp.createdOffset == 1)
            #expect(try store.things(ThingFilter(status: "active")).map(\.id) == ["switch"])
            #expect(try store.things(ThingFilter(status: "broken")).map(\.id) == ["lamp"])
        }
    }

    @Test func connectionsAreIndexedBothWaysAndByType() async throws {
        try await withStore { store, _ in
            try await seed(store)
            #expect(try store.connections(ConnectionFilter(fromId: "switch")).map(\.id) == ["c1"])
            #expect(try store.connections(ConnectionFilter(toId: "switch")).map(\.id) == ["c2"])
            #expect(try store.connections(ConnectionFilter(connectionType: "manages")).map(\.id) == ["c2"])
            #expect(try store.connections(ConnectionFilter(fromId: "switch", connectionType: "manages")).isEmpty)
            #expect(try store.connections(ConnectionFilter(groupId: "org-2")).map(\.id) == ["c2"])
            let around = try store.neighbourhood(of: "switch", depth: 1)
            #expect(around.things.map(\.thing.id) == ["switch", "hub", "lamp"])
            #expect(around.connections.map(\.id) == ["c1", "c2"])
            let outgoing = try store.neighbourhood(of: "hub", depth: 2, direction: .outgoing)
            #expect(outgoing.things.map { "\($0.thing.id)@\($0.depth)" } == ["hub@0", "switch@1", "lamp@2"])
            #expect(try store.neighbourhood(of: "hub", depth: 2, types: ["manages"]).things.count == 2)
            #expect(throws: AnnalsError.self) { try store.neighbourhood(of: "hub", depth: 17) }
        }
    }

    @Test func knowledgeIsQueriedByThingAndLabels() async throws {
        try await withStore { store, _ in
            try await seed(store)
            #expect(try store.knowledge(KnowledgeFilter(thingId: "lamp")).map(\.id) == ["k1"])
            #expect(try store.knowledge(KnowledgeFilter(labels: ["spec"])).map(\.id) == ["k2"])
            #expect(try store.knowledge(KnowledgeFilter(labels: ["spec", "manual"])).isEmpty)
            #expect(try store.knowledge(KnowledgeFilter(groupId: "org-1")).map(\.id) == ["k1"])
        }
    }

    @Test func deletingAThingDeletesItsConnectionsAndKnowledge() async throws {
        try await withStore { store, _ in
            try await seed(store)
            _ = try await store.append(Vocabulary.deleteThing("switch"))
            #expect(try store.thing("switch") == nil)
            #expect(try store.connections().isEmpty)
            _ = try await store.append(Vocabulary.deleteThing("lamp"))
            #expect(try store.knowledge().map(\.id) == ["k2"])
            #expect(!(try store.search(SearchQuery("reading lamp")).map(\.item.id).contains("k1")))
        }
    }

    @Test(arguments: [
        (Vocabulary.update("ghost", status: "x"), "thing 'ghost' does not exist"),
        (Vocabulary.thing("lamp"), "thing 'lamp' already exists"),
        (Vocabulary.connect("c9", from: "lamp", to: "ghost"), "field 'metadata.toId': thing 'ghost' does not exist"),
        (Vocabulary.connect("c1", from: "lamp", to: "hub"), "connection 'c1' already exists"),
        (Vocabulary.knowledge("k9", about: "ghost", text: "x"), "thing 'ghost' does not exist"),
        (
            NewEvent(type: "thing.created", targetId: "t9", metadata: ["name": "no type"]),
            "'metadata.thingType': is required"
        ),
        (NewEvent(type: "thing.updated", targetId: "lamp", metadata: [:]), "needs at least one of"),
        (
            NewEvent(type: "thing.updated", targetId: "lamp", metadata: ["status": nil]),
            "'metadata.status': is null, which changes nothing"
        ),
        (
            NewEvent(type: "thing.updated", targetId: "lamp", metadata: ["properties": nil]),
            "'metadata.properties': is null, which changes nothing"
        ),
        (NewEvent(type: "thing.created", metadata: ["thingType": "x"]), "field 'targetId': is required"),
        (
            NewEvent(
                type: "knowledge.added", targetId: "k9",
                metadata: ["thingId": "lamp", "text": "t", "embedding": [1, 2]]),
            "has 2 dimensions"
        ),
        (NewEvent(type: "connection.deleted", targetId: "nope"), "connection 'nope' does not exist"),
        // One id, one stream: the kinds do not share ids.
        (Vocabulary.thing("c1"), "'c1' is the id of a connection"),
        (Vocabulary.thing("k1"), "'k1' is the id of a knowledge item"),
        (Vocabulary.connect("lamp", from: "switch", to: "hub"), "'lamp' is the id of a thing"),
        (Vocabulary.connect("k2", from: "switch", to: "hub"), "'k2' is the id of a knowledge item"),
        (Vocabulary.knowledge("hub", about: "lamp", text: "x"), "'hub' is the id of a thing"),
        (Vocabulary.knowledge("c2", about: "lamp", text: "x"), "'c2' is the id of a connection"),
    ])
    func contradictingEventsAreRejectedAndWriteNothing(_ event: NewEvent, _ reason: String) async throws {
        try await withStore { store, _ in
            try await seed(store)
            let head = try store.head().offset
            let before = try store.read { try dump($0) }
            do {
                _ = try await store.append(contentsOf: [Vocabulary.thing("fresh"), event])
                Issue.record("the batch was accepted")
            } catch {
                guard case .rejectedEvent(let index, _, _, let message) = error as? AnnalsError else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(index == 1)
                #expect(message.contains(reason), "\(message)")
            }
            #expect(try store.head().offset == head)
            #expect(try store.read { try dump($0) } == before)
            #expect(try store.thing("fresh") == nil)
        }
    }

    /// A rollback that would bring a deleted thing back under an id a connection has taken since is refused: the
    /// two would share one stream.
    @Test func aRestoreDoesNotBringBackAnIdAnotherKindTookSince() async throws {
        try await withStore { store, _ in
            try await seed(store)
            _ = try await store.append(Vocabulary.thing("gone"))
            let before = try store.head().offset
            _ = try await store.append(Vocabulary.deleteThing("gone"))
            _ = try await store.append(Vocabulary.connect("gone", from: "switch", to: "hub"))
            do {
                _ = try await store.rollback(to: before, scope: .thing("gone"), actorId: "tester")
                Issue.record("the restore was accepted")
            } catch {
                guard case .rejectedEvent(_, let type, _, let reason) = error as? AnnalsError else { throw error }
                #expect(type == "thing.restored")
                #expect(reason.contains("'gone' is the id of a connection"), "\(reason)")
            }
            #expect(try store.thing("gone") == nil)
            #expect(try store.read { try $0.connection("gone") } != nil)
        }
    }

    @Test func aBatchFailsAtItsFirstBadEventWhateverTheRuleItBreaks() async throws {
        try await withStore { store, _ in
            try await seed(store)
            let before = try store.read { try dump($0) }
            // Event 1 is rejected by a projection; event 2 breaks an envelope rule checked before any projection.
            let batch = [
                Vocabulary.thing("t1"), Vocabulary.update("ghost", status: "x"),
                NewEvent(type: "x", targetId: "t1", expectedVersion: 5),
            ]
            await #expect {
                _ = try await store.append(contentsOf: batch)
            } throws: { error in
                guard case .rejectedEvent(1, "thing.updated", "things", _) = error as? AnnalsError else { return false }
                return true
            }
            // The other way round: the envelope rule at event 1 is what is reported.
            await #expect(throws: AnnalsError.versionConflict(index: 1, targetId: "t1", expected: 5, actual: 1)) {
                _ = try await store.append(contentsOf: [batch[0], batch[2], batch[1]])
            }
            #expect(try store.read { try dump($0) } == before)
            #expect(try store.thing("t1") == nil)
        }
    }

    @Test func aRejectedBatchDoesNotHarmOthersInTheSameCommit() async throws {
        try await withStore { store, _ in
            try await seed(store)
            let good = Task { try await store.append(contentsOf: (0..<50).map { Vocabulary.thing("t\($0)") }) }
            let bad = Task {
                try await store.append(contentsOf: [Vocabulary.thing("u1"), Vocabulary.update("ghost", name: "x")])
            }
            _ = try await good.value
            await #expect(throws: AnnalsError.self) { _ = try await bad.value }
            #expect(try store.things(ThingFilter(limit: .max)).count == 53)
            #expect(try store.thing("u1") == nil)
        }
    }

    @Test func otherEventTypesStayInTheLogAndAreIgnored() async throws {
        try await withStore { store, _ in
            _ = try await store.append(NewEvent(type: "order.placed", targetId: "o1", metadata: ["total": 3]))
            #expect(try store.things().isEmpty)
            #expect(try store.head().offset == 1)
        }
    }

    @Test func theVectorIndexFollowsKnowledgeChangesWithoutRebuilding() async throws {
        try await withStore { store, _ in
            try await seed(store)
            // Enough rows that a few dead ones do not call for a rebuild.
            _ = try await store.append(
                contentsOf: (0..<16).map { Vocabulary.knowledge("n\($0)", about: "switch", text: "switch note \($0)") })
            #expect(try store.search(SearchQuery("zigbee hub", mode: .vector)).first?.item.id == "k2")
            let before = store.vectorCache.currentIndex
            _ = try await store.append(Vocabulary.update("lamp", status: "dim"))
            _ = try await store.append(NewEvent(type: "order.placed", targetId: "o1"))
            _ = try store.search(SearchQuery("zigbee hub", mode: .vector))
            #expect(store.vectorCache.currentIndex === before && store.vectorCache.updates == 0)
            // Added, then deleted, then a thing's cascade: each applied to the same index.
            _ = try await store.append(Vocabulary.knowledge("k3", about: "lamp", text: "zigbee lamp firmware"))
            #expect(try store.search(SearchQuery("zigbee lamp firmware", mode: .vector)).first?.item.id == "k3")
            _ = try await store.append(NewEvent(type: "knowledge.deleted", targetId: "k3"))
            #expect(
                !(try store.search(SearchQuery("zigbee lamp firmware", mode: .vector)).map(\.item.id).contains("k3")))
            _ = try await store.append(Vocabulary.deleteThing("hub"))
            let hits = try store.search(SearchQuery("zigbee hub", limit: 50, mode: .vector)).map(\.item.id)
            #expect(!hits.contains("k2") && !hits.isEmpty)
            #expect(store.vectorCache.currentIndex === before)
            #expect(store.vectorCache.updates == 3 && store.vectorCache.builds == 1)
            // A rebuild swaps the slot: the next search builds afresh and agrees.
            _ = try store.rebuild(["knowledge"])
            #expect(try store.search(SearchQuery("zigbee hub", limit: 50, mode: .vector)).map(\.item.id) == hits)
            #expect(store.vectorCache.builds == 2)
        }
    }
}
