/// A `connection.created` or `connection.updated` read straight from its canonical metadata bytes: a creation's
/// properties are kept as the bytes they already are, an update's patch is merged as bytes.
///
/// It recognizes only the plain shapes (endpoints and type as strings, valid where the parsed event checks them;
/// `properties` an object; no other member; a valid target id) and is `nil` for anything else, which then goes
/// through ``OntologyEvent/parse(_:mode:)`` and gets its error or its treatment there. For the shapes it
/// recognizes, it means exactly what the parsed event means.
enum CanonicalConnectionEvent {
    /// A `connection.created`; `propertiesJSON` is canonical (`{}` when the event has none).
    case created(id: String, fields: Fields, propertiesJSON: [UInt8])
    /// A `connection.updated`; `propertiesPatch` is a canonical merge patch object.
    case updated(id: String, endpoints: OntologyEvent.PartialEndpoints, propertiesPatch: ArraySlice<UInt8>)

    /// The endpoints and type of a created connection.
    struct Fields {
        let fromId: String
        let toId: String
        let connectionType: String
    }

    init?(_ event: ProjectedEvent) {
        let creating = event.type == OntologyEventType.connectionCreated
        guard creating || event.type == OntologyEventType.connectionUpdated, let id = event.targetId,
            (try? OntologyEvent.checkIdentifier(id, field: "targetId", live: false)) != nil,
            let (metadata, members) = event.canonicalMetadataMembers, let count = members.count
        else { return nil }
        var endpoints = OntologyEvent.PartialEndpoints()
        var properties: Range<Int>?
        // The members were located when the event was read: nothing is scanned here.
        let recognized = metadata.withUnsafeBytes { bytes in
            for index in 0..<count {
                let (key, value) = members.member(index, in: bytes)
                if CanonicalJSON.bytes(key, equal: "properties") {
                    // Properties whose keys may not be NFC (appended before keys were normalized) go the parsed way.
                    guard value.first == UInt8(ascii: "{"), CanonicalJSON.hasNFCKeys(value) else { return false }
                    let start = value.baseAddress! - bytes.baseAddress!
                    properties = start..<(start + value.count)
                    continue
                }
                guard let text = CanonicalJSON.string(value) else { return false }
                if CanonicalJSON.bytes(key, equal: "fromId") {
                    endpoints.fromId = text
                } else if CanonicalJSON.bytes(key, equal: "toId") {
                    endpoints.toId = text
                } else if CanonicalJSON.bytes(key, equal: "connectionType") {
                    endpoints.connectionType = text
                } else {
                    return false
                }
            }
            return true
        }
        // Names and ids not already in their canonical spelling (NFC) are left to the parsed event, which maps them.
        guard recognized,
            [endpoints.fromId, endpoints.toId, endpoints.connectionType].allSatisfy({
                $0.map(EventValidation.isNFC) ?? true
            })
        else { return nil }
        if creating {
            guard let from = endpoints.fromId, let to = endpoints.toId, let type = endpoints.connectionType,
                (try? OntologyEvent.checkIdentifier(from, field: "", live: false)) != nil,
                (try? OntologyEvent.checkIdentifier(to, field: "", live: false)) != nil,
                (try? OntologyEvent.checkName(type, field: "", live: false)) != nil
            else { return nil }
            self = .created(
                id: id, fields: Fields(fromId: from, toId: to, connectionType: type),
                propertiesJSON: properties.map { Array(metadata[$0]) } ?? Array("{}".utf8))
        } else {
            guard let properties else { return nil }
            self = .updated(id: id, endpoints: endpoints, propertiesPatch: metadata[properties])
        }
    }
}
