/// The event types the built-in projections apply (docs/EVENTS.md).
public enum OntologyEventType {
    /// A thing comes into being: `thingType`, optional `name`, `status` and `properties`.
    public static let thingCreated = "thing.created"
    /// A thing changes: optional `name`, `status`, and `properties` as a JSON merge patch.
    public static let thingUpdated = "thing.updated"
    /// A thing goes away, with its connections and knowledge.
    public static let thingDeleted = "thing.deleted"
    /// A rollback sets a thing back to a full earlier state, creating it again if it was deleted.
    public static let thingRestored = "thing.restored"
    /// A typed edge between two existing things: `fromId`, `toId`, `connectionType`, optional `properties`.
    public static let connectionCreated = "connection.created"
    /// A connection's properties change (merge patch).
    public static let connectionUpdated = "connection.updated"
    /// A connection goes away.
    public static let connectionDeleted = "connection.deleted"
    /// A rollback sets a connection back to a full earlier state.
    public static let connectionRestored = "connection.restored"
    /// Text about a thing: `thingId`, `text`, optional `labels` and `embedding`.
    public static let knowledgeAdded = "knowledge.added"
    /// A knowledge item goes away.
    public static let knowledgeDeleted = "knowledge.deleted"
    /// A rollback sets a knowledge item back to a full earlier state.
    public static let knowledgeRestored = "knowledge.restored"

    /// Every vocabulary type.
    public static let all: Set<String> = [
        thingCreated, thingUpdated, thingDeleted, thingRestored, connectionCreated, connectionUpdated,
        connectionDeleted, connectionRestored, knowledgeAdded, knowledgeDeleted, knowledgeRestored,
    ]
}

extension OntologyEventType {
    /// Why no entity can have `name` (in any canonically equivalent spelling) as its thing type, connection type,
    /// status or label, or `nil` when one can (docs/EVENTS.md). Lets a query's caller refuse a filter no entity can
    /// match (the CLI exits 64) instead of answering it with nothing.
    ///
    /// An event's name must be 1–64 bytes of UTF-8 without control characters, both in the spelling the event used
    /// and in NFC, the spelling views store (docs/EVENTS.md). Every spelling of `name` has that NFC, so a name whose
    /// NFC is longer than 64 bytes is one no entity can have, whichever spelling a query gives.
    public static func nameProblem(_ name: String) -> String? {
        let canonical = name.canonicalSpelling
        let bytes = canonical.utf8.count
        let maximum = OntologyEvent.maximumNameLength
        guard bytes > 0, bytes <= maximum else {
            return "must be 1–\(maximum) bytes, not \(bytes)"
        }
        // Control characters have no other spelling.
        guard !ByteScan.utf8(of: canonical, ByteScan.containsControlCharacter) else {
            return "contains a control character"
        }
        return nil
    }
}

/// A vocabulary event, parsed and checked for shape (not yet against the current state).
enum OntologyEvent: Equatable {
    case thingCreated(id: String, fields: ThingFields)
    case thingUpdated(id: String, name: String??, status: String?, propertiesPatch: JSONValue?)
    case thingDeleted(id: String)
    case thingRestored(id: String, fields: ThingFields)
    case connectionCreated(id: String, fields: ConnectionFields)
    case connectionUpdated(id: String, endpoints: PartialEndpoints, propertiesPatch: JSONValue)
    case connectionDeleted(id: String)
    case connectionRestored(id: String, fields: ConnectionFields)
    case knowledgeAdded(id: String, fields: KnowledgeFields)
    case knowledgeDeleted(id: String)
    case knowledgeRestored(id: String, fields: KnowledgeFields)

    struct ThingFields: Equatable {
        var thingType: String
        var name: String?
        var status: String
        var properties: JSONValue
    }

    struct ConnectionFields: Equatable {
        var fromId: String
        var toId: String
        var connectionType: String
        var properties: JSONValue
    }

    /// The endpoints a `connection.updated` may repeat; each must match the connection when given.
    struct PartialEndpoints: Equatable {
        var fromId: String?
        var toId: String?
        var connectionType: String?
    }

    struct KnowledgeFields: Equatable {
        var thingId: String
        var text: String
        var labels: [String]
        var embedding: [Float]?
    }

    /// The longest entity id (thing, connection or knowledge id) in bytes, so that index keys fit LMDB's 511.
    static let maximumIdLength = 160
    /// The longest thing type, connection type, status or label in bytes.
    static let maximumNameLength = 64
    /// The most labels on one knowledge item.
    static let maximumLabels = 32
    /// The default status of a new thing.
    static let defaultStatus = "active"

    /// Parses the vocabulary event of `type`, or returns `nil` for other types.
    /// - Throws: ``ProjectionRejection`` naming the field (`targetId`, `metadata.fromId`, …) that is missing or
    ///   malformed.
    ///
    /// With `live` (an event being appended), names and ids must also fit their limits in NFC, the spelling views
    /// store; a replay applies the limits to the spelling the event used alone, as events appended before that check
    /// were applied.
    static func parse(type: String, targetId: String?, metadata: JSONValue, live: Bool) throws(ProjectionRejection)
        -> OntologyEvent?
    {
        guard OntologyEventType.all.contains(type) else { return nil }
        guard let id = targetId else {
            throw ProjectionRejection(field: "targetId", "is required: it is the id of the \(entity(of: type))")
        }
        try checkIdentifier(id, field: "targetId", live: live)
        let fields = Fields(metadata, live: live)
        switch type {
        case OntologyEventType.thingCreated: return .thingCreated(id: id, fields: try thingFields(fields))
        case OntologyEventType.thingRestored: return .thingRestored(id: id, fields: try thingFields(fields))
        case OntologyEventType.thingUpdated:
            let name: String?? = fields.has("name") ? .some(try fields.optionalString("name")) : .none
            var status = try fields.optionalString("status")
            if let given = status { status = try checkName(given, field: "metadata.status", live: live) }
            let patch = try fields.optionalObject("properties")
            guard name != nil || status != nil || patch != nil else {
                // A null status or properties changes nothing (and was always accepted beside another change, so
                // replays of older logs depend on it): alone, it is named as what makes the update empty.
                for field in ["status", "properties"] where fields.has(field) {
                    throw ProjectionRejection(
                        field: "metadata.\(field)",
                        "is null, which changes nothing: thing.updated needs at least one of 'name', 'status' and "
                            + "'properties' to change")
                }
                throw ProjectionRejection(
                    field: "metadata", "thing.updated needs at least one of 'name', 'status' and 'properties'")
            }
            return .thingUpdated(id: id, name: name, status: status, propertiesPatch: patch)
        case OntologyEventType.thingDeleted: return .thingDeleted(id: id)
        case OntologyEventType.connectionCreated:
            return .connectionCreated(id: id, fields: try connectionFields(fields))
        case OntologyEventType.connectionRestored:
            return .connectionRestored(id: id, fields: try connectionFields(fields))
        case OntologyEventType.connectionUpdated:
            // Compared with the stored connection's: in the one spelling views store.
            let endpoints = PartialEndpoints(
                fromId: try fields.optionalString("fromId")?.canonicalSpelling,
                toId: try fields.optionalString("toId")?.canonicalSpelling,
                connectionType: try fields.optionalString("connectionType")?.canonicalSpelling)
            guard let patch = try fields.optionalObject("properties") else {
                throw ProjectionRejection(field: "metadata.properties", "is required: a JSON merge patch object")
            }
            return .connectionUpdated(id: id, endpoints: endpoints, propertiesPatch: patch)
        case OntologyEventType.connectionDeleted: return .connectionDeleted(id: id)
        case OntologyEventType.knowledgeAdded: return .knowledgeAdded(id: id, fields: try knowledgeFields(fields))
        case OntologyEventType.knowledgeRestored:
            return .knowledgeRestored(id: id, fields: try knowledgeFields(fields))
        default: return .knowledgeDeleted(id: id)
        }
    }

    private static func entity(of type: String) -> String {
        if type.hasEventTypePrefix("thing.") { return "thing" }
        if type.hasEventTypePrefix("connection.") { return "connection" }
        return "knowledge item"
    }

    private static func thingFields(_ fields: Fields) throws(ProjectionRejection) -> ThingFields {
        let thingType = try checkName(
            try fields.requiredString("thingType"), field: "metadata.thingType", live: fields.live)
        let status = try checkName(
            try fields.optionalString("status") ?? defaultStatus, field: "metadata.status", live: fields.live)
        return ThingFields(
            thingType: thingType, name: try fields.optionalString("name"), status: status,
            properties: try fields.optionalObject("properties") ?? .object([:]))
    }

    private static func connectionFields(_ fields: Fields) throws(ProjectionRejection) -> ConnectionFields {
        let from = try checkIdentifier(try fields.requiredString("fromId"), field: "metadata.fromId", live: fields.live)
        let to = try checkIdentifier(try fields.requiredString("toId"), field: "metadata.toId", live: fields.live)
        let type = try checkName(
            try fields.requiredString("connectionType"), field: "metadata.connectionType", live: fields.live)
        return ConnectionFields(
            fromId: from, toId: to, connectionType: type,
            properties: try fields.optionalObject("properties") ?? .object([:]))
    }

    /// The largest magnitude an embedding component keeps: Float's largest finite value.
    static let largestComponent = Double(Float.greatestFiniteMagnitude)

    private static func knowledgeFields(_ fields: Fields) throws(ProjectionRejection) -> KnowledgeFields {
        let thing = try checkIdentifier(
            try fields.requiredString("thingId"), field: "metadata.thingId", live: fields.live)
        let text = try fields.requiredString("text")
        guard !text.isEmpty else { throw ProjectionRejection(field: "metadata.text", "must not be empty") }
        var labels: [String] = []
        if let value = fields.members["labels"], value != .null {
            guard case .array(let items) = value else {
                throw ProjectionRejection(field: "metadata.labels", "must be an array of strings")
            }
            guard items.count <= maximumLabels else {
                throw ProjectionRejection(field: "metadata.labels", "has \(items.count) labels, more than 32")
            }
            for (index, item) in items.enumerated() {
                guard case .string(let label) = item else {
                    throw ProjectionRejection(field: "metadata.labels[\(index)]", "must be a string")
                }
                labels.append(try checkName(label, field: "metadata.labels[\(index)]", live: fields.live))
            }
        }
        var embedding: [Float]?
        if let value = fields.members["embedding"], value != .null {
            guard case .array(let items) = value, !items.isEmpty, items.count <= 4096 else {
                throw ProjectionRejection(field: "metadata.embedding", "must be an array of 1–4096 numbers")
            }
            var vector: [Float] = []
            vector.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                guard let number = item.doubleValue, number.isFinite else {
                    throw ProjectionRejection(field: "metadata.embedding[\(index)]", "must be a finite number")
                }
                // Past Float's range a component would become infinite: it is clamped, and the vector is scaled to unit
                // length anyway (``VectorMath/normalize(_:)``), so only the largest components' ratio is lost.
                vector.append(Float(max(-Self.largestComponent, min(Self.largestComponent, number))))
            }
            embedding = vector
        }
        return KnowledgeFields(
            thingId: thing, text: text, labels: Array(Set(labels)).sorted(), embedding: embedding)
    }

    /// Checks an entity id named in an event and returns it in its canonical spelling (NFC), the one views store.
    /// With `live`, the NFC spelling must be 1–160 bytes too (``checkSpelling(_:maximum:field:live:)``).
    @discardableResult
    static func checkIdentifier(_ id: String, field: String, live: Bool) throws(ProjectionRejection) -> String {
        try checkSpelling(id, maximum: maximumIdLength, field: field, live: live)
    }

    /// Checks a type, status or label named in an event and returns it in its canonical spelling (NFC), the one
    /// views store and index. With `live`, the NFC spelling must be 1–64 bytes too
    /// (``checkSpelling(_:maximum:field:live:)``).
    @discardableResult
    static func checkName(_ name: String, field: String, live: Bool) throws(ProjectionRejection) -> String {
        try checkSpelling(name, maximum: maximumNameLength, field: field, live: live)
    }

    /// Checks a name or id of at most `maximum` bytes, without control characters, and returns its NFC spelling.
    ///
    /// NFC can be up to three times longer than the spelling an event used (U+1D160, 4 bytes, is 12 in NFC; U+FB2C,
    /// 3 bytes, is 6), and views store and index the NFC: with `live` (an append) it must fit `maximum` too, which is
    /// what keeps index keys under LMDB's 511 bytes. A replay checks the spelling the event used alone: an event
    /// appended before this check was applied with its longer NFC, and a rebuild must apply it the same way.
    private static func checkSpelling(
        _ text: String, maximum: Int, field: String, live: Bool
    ) throws(ProjectionRejection) -> String {
        guard !text.isEmpty, text.utf8.count <= maximum else {
            throw ProjectionRejection(field: field, "must be 1–\(maximum) bytes, not \(text.utf8.count)")
        }
        guard !ByteScan.utf8(of: text, ByteScan.containsControlCharacter) else {
            throw ProjectionRejection(field: field, "contains a control character")
        }
        let canonical = text.canonicalSpelling
        if live, canonical.utf8.count > maximum {
            throw ProjectionRejection(
                field: field, "is \(canonical.utf8.count) bytes in NFC, the most is \(maximum)")
        }
        return canonical
    }

    /// Typed access to the metadata members, with errors that name the field.
    private struct Fields {
        let members: [String: JSONValue]
        /// Whether the event is being appended (names and ids must fit their limits in NFC too).
        let live: Bool

        init(_ metadata: JSONValue, live: Bool) {
            members = metadata.objectValue ?? [:]
            self.live = live
        }

        func has(_ name: String) -> Bool { members[name] != nil }

        func requiredString(_ name: String) throws(ProjectionRejection) -> String {
            guard let value = members[name] else {
                throw ProjectionRejection(field: "metadata.\(name)", "is required")
            }
            guard case .string(let text) = value else {
                throw ProjectionRejection(field: "metadata.\(name)", "must be a string")
            }
            return text
        }

        func optionalString(_ name: String) throws(ProjectionRejection) -> String? {
            guard let value = members[name], value != .null else { return nil }
            guard case .string(let text) = value else {
                throw ProjectionRejection(field: "metadata.\(name)", "must be a string or null")
            }
            return text
        }

        func optionalObject(_ name: String) throws(ProjectionRejection) -> JSONValue? {
            guard let value = members[name], value != .null else { return nil }
            guard case .object = value else {
                throw ProjectionRejection(field: "metadata.\(name)", "must be a JSON object")
            }
            return value
        }
    }
}
