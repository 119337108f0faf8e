import Annals

/// Builds the ontology events (docs/EVENTS.md) the platform appends, all by one actor in one group.
struct OntologyEventBuilder {
    /// Who makes the change.
    var actorId: String
    /// The group (scope) of the entities created.
    var groupId: String
    /// Extra metadata every event carries, such as `{"plugin": {"operation": "update", …}}`.
    var context: [String: JSONValue] = [:]

    private func event(_ type: String, _ target: String, _ metadata: [String: JSONValue], expected: UInt64?)
        -> NewEvent
    {
        NewEvent(
            type: type, actorId: actorId, targetId: target, groupId: groupId,
            metadata: .object(metadata.merging(context) { own, _ in own }), expectedVersion: expected)
    }

    /// `thing.created`.
    func createThing(
        _ id: String, type: String, name: String?, status: String = "active", properties: JSONValue,
        expectedVersion: UInt64? = nil
    ) -> NewEvent {
        var metadata: [String: JSONValue] = ["thingType": .string(type), "status": .string(status)]
        metadata["properties"] = properties
        if let name { metadata["name"] = .string(name) }
        return event(OntologyEventType.thingCreated, id, metadata, expected: expectedVersion)
    }

    /// `thing.updated` with a merge patch and/or a new status, or `nil` when neither changes anything.
    func updateThing(_ id: String, patch: JSONValue?, status: String? = nil, expectedVersion: UInt64? = nil)
        -> NewEvent?
    {
        var metadata: [String: JSONValue] = [:]
        if let patch { metadata["properties"] = patch }
        if let status { metadata["status"] = .string(status) }
        guard !metadata.isEmpty else { return nil }
        return event(OntologyEventType.thingUpdated, id, metadata, expected: expectedVersion)
    }

    /// `connection.created`.
    func createConnection(_ type: String, from: String, to: String, properties: JSONValue = .object([:]))
        -> NewEvent
    {
        event(
            OntologyEventType.connectionCreated, PlatformIDs.connection(type, from: from, to: to),
            ["fromId": .string(from), "toId": .string(to), "connectionType": .string(type), "properties": properties],
            expected: nil)
    }

    /// `connection.updated` with a merge patch of its properties.
    func updateConnection(_ id: String, patch: JSONValue) -> NewEvent {
        event(OntologyEventType.connectionUpdated, id, ["properties": patch], expected: nil)
    }

    /// `connection.deleted`.
    func deleteConnection(_ id: String) -> NewEvent {
        event(OntologyEventType.connectionDeleted, id, [:], expected: nil)
    }

    /// `knowledge.added`.
    func addKnowledge(_ id: String, about thingId: String, text: String, labels: [String]) -> NewEvent {
        event(
            OntologyEventType.knowledgeAdded, id,
            ["thingId": .string(thingId), "text": .string(text), "labels": .array(labels.map(JSONValue.string))],
            expected: nil)
    }

    /// `knowledge.deleted`.
    func deleteKnowledge(_ id: String) -> NewEvent {
        event(OntologyEventType.knowledgeDeleted, id, [:], expected: nil)
    }
}
