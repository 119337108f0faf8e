/// A typed edge between two things, as the connections projection holds it.
public struct Connection: Sendable, Hashable {
    /// The connection's id (the `targetId` of its events).
    public var id: String
    /// The thing it starts at.
    public var fromId: String
    /// The thing it points to.
    public var toId: String
    /// Its type, such as `depends_on`.
    public var connectionType: String
    /// The tenant or organization (the `groupId` of the event that created it).
    public var groupId: String?
    /// Free-form properties (a JSON object), parsed from ``propertiesJSON``.
    public var properties: JSONValue {
        get { (try? JSONParser.parse(propertiesJSON)) ?? .object([:]) }
        set { propertiesJSON = newValue.canonicalBytes }
    }
    /// The properties as canonical JSON (checked to be one object when the record is read). Updates patch these
    /// bytes directly (``CanonicalMergePatch``) rather than parsing them.
    public internal(set) var propertiesJSON: [UInt8]
    /// When it was created and last changed.
    public var stamp: EntityStamp

    /// The connection as a JSON object.
    public var json: JSONValue {
        var members = stamp.jsonMembers
        members["id"] = .string(id)
        members["fromId"] = .string(fromId)
        members["toId"] = .string(toId)
        members["connectionType"] = .string(connectionType)
        members["groupId"] = groupId.map(JSONValue.string) ?? .null
        members["properties"] = properties
        return .object(members)
    }

    var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 64 + fromId.utf8.count + toId.utf8.count)
        writer.u8(1)
        writer.string(fromId)
        writer.string(toId)
        writer.string(connectionType)
        writer.optionalString(groupId)
        writer.stamp(stamp)
        writer.lengthPrefixed(propertiesJSON)
        return writer.bytes
    }

    init(
        id: String, fromId: String, toId: String, connectionType: String, groupId: String?, properties: JSONValue,
        stamp: EntityStamp
    ) {
        self.init(
            id: id, fromId: fromId, toId: toId, connectionType: connectionType, groupId: groupId,
            propertiesJSON: properties.canonicalBytes, stamp: stamp)
    }

    init(
        id: String, fromId: String, toId: String, connectionType: String, groupId: String?, propertiesJSON: [UInt8],
        stamp: EntityStamp
    ) {
        self.id = id
        self.fromId = fromId
        self.toId = toId
        self.connectionType = connectionType
        self.groupId = groupId
        self.propertiesJSON = propertiesJSON
        self.stamp = stamp
    }

    init(id: String, decoding bytes: UnsafeRawBufferPointer) throws {
        self = try decodeRecord(bytes, table: "connections", key: id) { reader in
            let from = try reader.string()
            let to = try reader.string()
            let type = try reader.string()
            let group = try reader.optionalString()
            let stamp = try reader.stamp()
            let properties = try readProperties(&reader, table: "connections", key: id)
            return Connection(
                id: id, fromId: from, toId: to, connectionType: type, groupId: group,
                propertiesJSON: properties, stamp: stamp)
        }
    }
}
