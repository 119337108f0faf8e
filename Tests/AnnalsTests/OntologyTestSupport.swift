import Foundation

@testable import Annals

/// Builders for vocabulary events in tests.
enum Vocabulary {
    static func thing(
        _ id: String, type: String = "device", group: String? = "org-1", name: String? = nil, status: String? = nil,
        properties: JSONValue = [:]
    ) -> NewEvent {
        var metadata: [String: JSONValue] = ["thingType": .string(type), "properties": properties]
        if let name { metadata["name"] = .string(name) }
        if let status { metadata["status"] = .string(status) }
        return NewEvent(
            type: "thing.created", actorId: "tester", targetId: id, groupId: group, metadata: .object(metadata))
    }

    static func update(_ id: String, name: String? = nil, status: String? = nil, patch: JSONValue? = nil) -> NewEvent {
        var metadata: [String: JSONValue] = [:]
        if let name { metadata["name"] = .string(name) }
        if let status { metadata["status"] = .string(status) }
        if let patch { metadata["properties"] = patch }
        return NewEvent(type: "thing.updated", actorId: "tester", targetId: id, metadata: .object(metadata))
    }

    static func deleteThing(_ id: String) -> NewEvent {
        NewEvent(type: "thing.deleted", actorId: "tester", targetId: id)
    }

    static func connect(
        _ id: String, from: String, to: String, type: String = "links_to", group: String? = "org-1",
        properties: JSONValue = [:]
    ) -> NewEvent {
        NewEvent(
            type: "connection.created", actorId: "tester", targetId: id, groupId: group,
            metadata: [
                "fromId": .string(from), "toId": .string(to), "connectionType": .string(type), "properties": properties,
            ])
    }

    static func knowledge(
        _ id: String, about thing: String, text: String, labels: [String] = [], group: String? = "org-1"
    ) -> NewEvent {
        NewEvent(
            type: "knowledge.added", actorId: "tester", targetId: id, groupId: group,
            metadata: [
                "thingId": .string(thing), "text": .string(text), "labels": .array(labels.map(JSONValue.string)),
            ])
    }
}

/// A canonical dump of a view, for comparisons: things, connections and knowledge as JSON.
func dump(_ view: OntologyView) throws -> String {
    let all = JSONValue.object([
        "things": .array(try view.things(ThingFilter(limit: .max)).map(\.json)),
        "connections": .array(try view.connections(ConnectionFilter(limit: .max)).map(\.json)),
        "knowledge": .array(try view.knowledge(KnowledgeFilter(limit: .max)).map(\.json)),
    ])
    return all.canonicalString
}

/// ``dump(_:)`` without the stamps (which record when an entity last changed, so a rollback changes them).
func dumpWithoutStamps(_ view: OntologyView) throws -> String {
    func strip(_ value: JSONValue) -> JSONValue {
        var members = value.objectValue ?? [:]
        for key in ["createdOffset", "updatedOffset", "createdAt", "updatedAt"] { members[key] = nil }
        return .object(members)
    }
    return JSONValue.object([
        "things": .array(try view.things(ThingFilter(limit: .max)).map { strip($0.json) }),
        "connections": .array(try view.connections(ConnectionFilter(limit: .max)).map { strip($0.json) }),
        "knowledge": .array(try view.knowledge(KnowledgeFilter(limit: .max)).map { strip($0.json) }),
    ]).canonicalString
}

extension MemoryTables {
    /// Every entry of the first `tableCount` tables, in key order, each as its key, a 0xFF byte and its value: a
    /// view's whole content, for comparing two ways of building it.
    func entries(tableCount: Int) throws -> [[[UInt8]]] {
        try (0..<tableCount).map { table in
            var entries: [[UInt8]] = []
            try scan(ProjectionTable(table), prefix: []) { key, value in
                entries.append(Array(key) + [0xFF] + Array(value))
                return true
            }
            return entries
        }
    }
}
