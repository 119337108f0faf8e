import Foundation

/// Why a JSON object is not a valid event, naming the field.
public struct EventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field, such as `type` or `metadata`; empty when the whole value is wrong.
    public var field: String
    /// What is wrong with it.
    public var reason: String

    /// `field 'type' must be a string`.
    public var description: String { field.isEmpty ? reason : "field '\(field)' \(reason)" }
}

extension NewEvent {
    /// The fields an input object may have. `offset` and `version` are accepted and ignored, so the output of
    /// `annals read` can be appended to another store.
    public static let jsonFields: Set<String> = [
        "id", "type", "actorId", "targetId", "groupId", "timestamp", "metadata", "expectedVersion", "offset", "version",
    ]

    /// Decodes an event from a JSON object with the envelope's field names (docs/FORMAT.md, "Envelope"), and
    /// validates it.
    ///
    /// `timestamp` is milliseconds since 1970 or an ISO 8601 string; `metadata` defaults to `{}`; `null` counts as
    /// absent. Unknown fields are refused, so a typo such as `target` is caught.
    /// - Throws: ``EventDecodingError`` naming the field.
    public init(json: JSONValue) throws(EventDecodingError) {
        guard case .object(let object) = json else {
            throw EventDecodingError(field: "", reason: "an event must be a JSON object")
        }
        if let unknown = object.keys.filter({ !Self.jsonFields.contains($0) }).sorted().first {
            throw EventDecodingError(field: unknown, reason: "is not an event field")
        }
        func string(_ name: String) throws(EventDecodingError) -> String? {
            switch object[name] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw EventDecodingError(field: name, reason: "must be a string")
            }
        }
        guard let type = try string("type") else { throw EventDecodingError(field: "type", reason: "is required") }
        var id: UUID?
        if let text = try string("id") {
            guard let parsed = UUID(uuidString: text) else {
                throw EventDecodingError(field: "id", reason: "must be a UUID such as 8d6f…-…, got \"\(text)\"")
            }
            id = parsed
        }
        var timestamp: Int64?
        switch object["timestamp"] {
        case nil, .null?: break
        case .number(let text)?:
            guard let ms = Int64(text), ms >= 0 else {
                throw EventDecodingError(
                    field: "timestamp", reason: "must be whole milliseconds since 1970, got \(text)")
            }
            timestamp = ms
        case .string(let text)?:
            guard let ms = ISO8601.milliseconds(text) else {
                throw EventDecodingError(
                    field: "timestamp",
                    reason: "is not an ISO 8601 time such as 2026-11-25T10:00:00Z, "
                        + "2026-11-25T10:00:00.250+01:00 or 2026-11-25: \"\(text)\"")
            }
            timestamp = ms
        default:
            throw EventDecodingError(
                field: "timestamp", reason: "must be a number of milliseconds or an ISO 8601 string")
        }
        var expectedVersion: UInt64?
        switch object["expectedVersion"] {
        case nil, .null?: break
        case .number(let text)?:
            guard let version = UInt64(text) else {
                throw EventDecodingError(field: "expectedVersion", reason: "must be a whole number >= 0, got \(text)")
            }
            expectedVersion = version
        default: throw EventDecodingError(field: "expectedVersion", reason: "must be a whole number")
        }
        let metadata = object["metadata"] ?? .object([:])
        if case .null = metadata {
        } else if case .object = metadata {
        } else {
            throw EventDecodingError(field: "metadata", reason: "must be a JSON object")
        }
        self.init(
            id: id, type: type, actorId: try string("actorId"), targetId: try string("targetId"),
            groupId: try string("groupId"), timestamp: timestamp,
            metadata: metadata == .null ? .object([:]) : metadata, expectedVersion: expectedVersion)
        do {
            try EventValidation.validate(self, index: 0)
        } catch {
            if case .invalidEvent(_, let field, let reason) = error {
                throw EventDecodingError(field: field, reason: reason)
            }
            throw EventDecodingError(field: "", reason: error.description)
        }
    }
}
