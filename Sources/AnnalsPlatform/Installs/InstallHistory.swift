import Annals

/// One change in an install's history, read from its event stream.
public struct InstallHistoryEntry: Sendable, Hashable {
    /// The event's log offset.
    public var offset: UInt64
    /// The event's version in the install's stream.
    public var streamVersion: UInt64
    /// The event type (`thing.created`, `thing.updated`, `thing.restored`, `thing.deleted`).
    public var type: String
    /// What did it: `install`, `update`, `pin`, `unpin`, `rollback` (a plugin rollback, or the compensating events of
    /// a store rollback, `annals rollback`), or the operation recorded in the metadata; the event type when it
    /// records none.
    public var operation: String
    /// The plugin version after the event, or `nil` when the event removed the install.
    public var pluginVersion: String?
    /// Who did it.
    public var actorId: String?
    /// When, in milliseconds since 1970.
    public var timestamp: Int64
    /// The log offset whose state the operation was computed from (the head before its batch), when recorded.
    public var basis: UInt64?

    /// The entry as `annals plugin history` prints it.
    public var json: JSONValue {
        .object([
            "offset": .integer(offset), "streamVersion": .integer(streamVersion), "type": .string(type),
            "operation": .string(operation), "version": pluginVersion.map(JSONValue.string) ?? .null,
            "actor": actorId.map(JSONValue.string) ?? .null, "timestamp": .integer(timestamp),
            "basis": basis.map(JSONValue.integer) ?? .null,
        ])
    }

    /// The history of one install stream, oldest first.
    static func read(_ id: String, store: EventStore) throws(PlatformError) -> [InstallHistoryEntry] {
        let events: [RecordedEvent]
        do {
            events = try store.stream(id).collect()
        } catch {
            throw .store(error)
        }
        var version: String?
        return events.map { event in
            let metadata = event.metadata
            switch event.type {
            case OntologyEventType.thingDeleted: version = nil
            default:
                if let next = metadata["properties"]?["version"]?.stringValue { version = next }
            }
            // A store rollback's compensating events (`annals rollback`, `EventStore.rollback`) carry
            // `metadata.rollback` instead of `metadata.plugin`: a rollback all the same, not a bare `thing.deleted`.
            let operation =
                metadata["plugin"]?["operation"]?.stringValue ?? (metadata["rollback"] != nil ? "rollback" : event.type)
            return InstallHistoryEntry(
                offset: event.offset, streamVersion: event.version, type: event.type, operation: operation,
                pluginVersion: version, actorId: event.actorId, timestamp: event.timestamp,
                basis: metadata["plugin"]?["basis"]?.int64Value.map(UInt64.init))
        }
    }
}
