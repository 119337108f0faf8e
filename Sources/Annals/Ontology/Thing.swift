/// An entity of the ONE ontology, as the things projection holds it.
public struct Thing: Sendable, Hashable {
    /// The thing's id (the `targetId` of its events).
    public var id: String
    /// Its type, such as `plugin` or `person`.
    public var thingType: String
    /// The tenant or organization (the `groupId` of the event that created it).
    public var groupId: String?
    /// A display name.
    public var name: String?
    /// A status, `active` unless set.
    public var status: String
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

    /// The thing as a JSON object (`id`, `thingType`, `groupId`, `name`, `status`, `properties`, offsets and times).
    public var json: JSONValue {
        var members = stamp.jsonMembers
        members["id"] = .string(id)
        members["thingType"] = .string(thingType)
        members["groupId"] = groupId.map(JSONValue.string) ?? .null
        members["name"] = name.map(JSONValue.string) ?? .null
        members["status"] = .string(status)
        members["properties"] = properties
        return .object(members)
    }

    var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 64 + id.utf8.count)
        writer.u8(1)
        writer.string(thingType)
        writer.optionalString(groupId)
        writer.optionalString(name)
        writer.string(status)
        writer.stamp(stamp)
        writer.lengthPrefixed(propertiesJSON)
        return writer.bytes
    }

    init(
        id: String, thingType: String, groupId: String?, name: String?, status: String, properties: JSONValue,
        stamp: EntityStamp
    ) {
        self.init(
            id: id, thingType: thingType, groupId: groupId, name: name, status: status,
            propertiesJSON: properties.canonicalBytes, stamp: stamp)
    }

    init(
        id: String, thingType: String, groupId: String?, name: String?, status: String, propertiesJSON: [UInt8],
        stamp: EntityStamp
    ) {
        self.id = id
        self.thingType = thingType
        self.groupId = groupId
        self.name = name
        self.status = status
        self.propertiesJSON = propertiesJSON
        self.stamp = stamp
    }

    /// The record `bytes` of thing `id` with its properties patched by `patch` (which returns the patched object,
    /// or `nil` when the stored one is malformed) and its stamp touched by `event`; the other fields are copied as
    /// they are.
    /// - Throws: ``OntologyRecordError`` when the record is malformed.
    static func record(
        _ bytes: UnsafeRawBufferPointer, id: String, touchedBy event: ProjectedEvent,
        patchingProperties patch: (_ stored: UnsafeRawBufferPointer) -> [UInt8]?
    ) throws -> [UInt8] {
        try decodeRecord(bytes, table: "things", key: id) { reader in
            _ = try reader.lengthPrefixed()  // thingType
            if try reader.u8() != 0 { _ = try reader.lengthPrefixed() }  // groupId
            if try reader.u8() != 0 { _ = try reader.lengthPrefixed() }  // name
            _ = try reader.lengthPrefixed()  // status
            let fieldsEnd = reader.position
            let stamp = try reader.stamp().touched(by: event)
            guard let properties = patch(try reader.lengthPrefixed()) else {
                throw OntologyRecordError(table: "things", key: id)
            }
            var writer = ByteWriter(capacity: fieldsEnd + properties.count + 24)
            writer.raw(UnsafeRawBufferPointer(rebasing: bytes[0..<fieldsEnd]))
            writer.stamp(stamp)
            writer.lengthPrefixed(properties)
            return writer.bytes
        }
    }

    init(id: String, decoding bytes: UnsafeRawBufferPointer) throws {
        self = try decodeRecord(bytes, table: "things", key: id) { reader in
            let thingType = try reader.string()
            let groupId = try reader.optionalString()
            let name = try reader.optionalString()
            let status = try reader.string()
            let stamp = try reader.stamp()
            let properties = try readProperties(&reader, table: "things", key: id)
            return Thing(
                id: id, thingType: thingType, groupId: groupId, name: name, status: status,
                propertiesJSON: properties, stamp: stamp)
        }
    }
}
