/// What a rollback needs of a thing, connection or knowledge item: its identity, its content compared without its
/// stamp, and the metadata of a `*.restored` event that recreates it.
protocol OntologyEntity {
    /// `thing`, `connection` or `knowledge`.
    static var entityName: String { get }
    /// The event type that deletes it.
    static var deletedType: String { get }
    /// The event type that restores it.
    static var restoredType: String { get }
    var id: String { get }
    var groupId: String? { get }
    var json: JSONValue { get }
    /// The metadata of the `*.restored` event that sets it to this state (docs/EVENTS.md).
    var restoreFields: [String: JSONValue] { get }
    /// Whether `other` holds the same content and group (when and by which event it changed aside).
    func hasSameContent(as other: Self) -> Bool
}

extension Thing: OntologyEntity {
    static let entityName = "thing"
    static let deletedType = OntologyEventType.thingDeleted
    static let restoredType = OntologyEventType.thingRestored

    var restoreFields: [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "thingType": .string(thingType), "status": .string(status), "properties": properties,
        ]
        if let name { fields["name"] = .string(name) }
        return fields
    }

    func hasSameContent(as other: Thing) -> Bool {
        same(thingType, other.thingType) && same(name, other.name) && same(status, other.status)
            && same(groupId, other.groupId) && propertiesJSON == other.propertiesJSON
    }
}

extension Connection: OntologyEntity {
    static let entityName = "connection"
    static let deletedType = OntologyEventType.connectionDeleted
    static let restoredType = OntologyEventType.connectionRestored

    var restoreFields: [String: JSONValue] {
        [
            "fromId": .string(fromId), "toId": .string(toId), "connectionType": .string(connectionType),
            "properties": properties,
        ]
    }

    func hasSameContent(as other: Connection) -> Bool {
        same(fromId, other.fromId) && same(toId, other.toId) && same(connectionType, other.connectionType)
            && same(groupId, other.groupId) && propertiesJSON == other.propertiesJSON
    }
}

extension KnowledgeItem: OntologyEntity {
    static let entityName = "knowledge"
    static let deletedType = OntologyEventType.knowledgeDeleted
    static let restoredType = OntologyEventType.knowledgeRestored

    var restoreFields: [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "thingId": .string(thingId), "text": .string(text), "labels": .array(labels.map(JSONValue.string)),
        ]
        if let suppliedEmbedding { fields["embedding"] = .array(suppliedEmbedding.map { .double(Double($0)) }) }
        return fields
    }

    func hasSameContent(as other: KnowledgeItem) -> Bool {
        same(thingId, other.thingId) && same(text, other.text) && labels.count == other.labels.count
            && zip(labels, other.labels).allSatisfy { same($0, $1) } && same(groupId, other.groupId)
            && suppliedEmbedding == other.suppliedEmbedding
    }
}

/// Whether two stored strings are the same bytes. Not `==`, which compares canonically equivalent spellings (`é` and
/// `e` with a combining accent) as equal: a change between two spellings is a change a rollback must undo.
private func same(_ a: String?, _ b: String?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let a?, let b?): a.utf8.elementsEqual(b.utf8)
    default: false
    }
}
