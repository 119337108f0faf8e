import Annals

extension RollbackPlan {
    /// Replaces the state the restore at `index` returns its thing to with `kept` (the state at the target offset
    /// with some of its properties kept as they are now), in the change a dry run reports and in the event appended
    /// alike; a restore left with nothing to change (`kept` is the thing's current content) is dropped.
    mutating func keep(_ kept: JSONValue, forRestoreAt index: Int) {
        if let current = changes[index].current, Self.contentKeys.allSatisfy({ current[$0] == kept[$0] }) {
            changes.remove(at: index)
            events.remove(at: index)
            return
        }
        changes[index].target = kept
        guard let properties = kept["properties"], case .object(var metadata) = events[index].metadata else { return }
        metadata["properties"] = properties
        events[index].metadata = .object(metadata)
    }

    /// The members of a thing's JSON that a restore sets (its id and stamps aside).
    private static let contentKeys = ["thingType", "groupId", "name", "status", "properties"]

    /// `entity` (a thing's JSON, or a restore's metadata) with `properties[key]` set to `value`.
    static func setting(_ key: String, to value: JSONValue, in entity: JSONValue) -> JSONValue {
        guard case .object(var members) = entity, case .object(var properties)? = members["properties"] else {
            return entity
        }
        properties[key] = value
        members["properties"] = .object(properties)
        return .object(members)
    }
}
