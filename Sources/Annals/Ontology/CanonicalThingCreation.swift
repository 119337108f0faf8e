/// A `thing.created` read straight from its canonical metadata bytes: its properties are kept as the bytes they
/// already are, instead of being parsed into a ``JSONValue`` and written back.
///
/// It recognizes only the plain shapes (`thingType` and `status` valid names, `name` a string, `properties` an
/// object, no other member, a valid target id) and is `nil` for anything else, which then goes through
/// ``OntologyEvent/parse(_:mode:)`` and gets its error or its treatment there. For the shapes it recognizes, it
/// means exactly what the parsed event means.
struct CanonicalThingCreation {
    let id: String
    let thingType: String
    let name: String?
    let status: String
    /// The properties object, canonical.
    let propertiesJSON: [UInt8]

    init?(_ event: ProjectedEvent) {
        guard event.type == OntologyEventType.thingCreated, let id = event.targetId,
            (try? OntologyEvent.checkIdentifier(id, field: "targetId", live: false)) != nil,
            let (metadata, members) = event.canonicalMetadataMembers, let count = members.count
        else { return nil }
        var thingType: String?
        var name: String?
        var status: String?
        var properties: [UInt8]?
        // The members were located when the event was read: nothing is scanned here.
        let recognized = metadata.withUnsafeBytes { bytes in
            for index in 0..<count {
                let (key, value) = members.member(index, in: bytes)
                if CanonicalJSON.bytes(key, equal: "thingType") {
                    thingType = Self.validName(value)
                    guard thingType != nil else { return false }
                } else if CanonicalJSON.bytes(key, equal: "status") {
                    status = Self.validName(value)
                    guard status != nil else { return false }
                } else if CanonicalJSON.bytes(key, equal: "name") {
                    name = CanonicalJSON.string(value)
                    guard name != nil else { return false }
                } else if CanonicalJSON.bytes(key, equal: "properties"), value.first == UInt8(ascii: "{"),
                    CanonicalJSON.hasNFCKeys(value)
                {
                    properties = Array(value)
                } else {
                    return false
                }
            }
            return true
        }
        guard recognized, let thingType else { return nil }
        self.id = id
        self.thingType = thingType
        self.name = name
        self.status = status ?? OntologyEvent.defaultStatus
        propertiesJSON = properties ?? Array("{}".utf8)
    }

    /// The string `value` holds when it is one that ``OntologyEvent/checkName(_:field:live:)`` accepts, already in its
    /// canonical spelling (NFC; another spelling is left to the parsed event, which maps it).
    private static func validName(_ value: UnsafeRawBufferPointer) -> String? {
        guard let text = CanonicalJSON.string(value),
            (try? OntologyEvent.checkName(text, field: "", live: false)) != nil,
            EventValidation.isNFC(text)
        else {
            return nil
        }
        return text
    }
}
