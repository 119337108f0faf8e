/// A `thing.updated` read straight from its canonical metadata bytes, without parsing them into a ``JSONValue``:
/// most events of a history are updates, and this is how the things view applies them.
///
/// It recognizes only the plain shapes (`name` a string or `null`, `status` a valid status, `properties` an object,
/// no other member, a valid target id) and is `nil` for anything else, which then goes through
/// ``OntologyEvent/parse(_:mode:)`` and gets its error or its treatment there. For the shapes it recognizes, it
/// means exactly what the parsed event means.
struct CanonicalThingUpdate {
    let id: String
    /// `.some(nil)` clears the name; `nil` leaves it.
    let name: String??
    let status: String?
    /// The merge patch of the properties, a canonical object.
    let propertiesPatch: ArraySlice<UInt8>?

    init?(_ event: ProjectedEvent) {
        guard event.type == OntologyEventType.thingUpdated, let id = event.targetId,
            (try? OntologyEvent.checkIdentifier(id, field: "targetId", live: false)) != nil,
            let (metadata, members) = event.canonicalMetadataMembers, let count = members.count, count > 0
        else { return nil }
        var name: String??
        var status: String?
        var patch: Range<Int>?
        // The members were located when the event was read: nothing is scanned here.
        let recognized = metadata.withUnsafeBytes { bytes in
            for index in 0..<count {
                let (key, value) = members.member(index, in: bytes)
                switch Self.member(key) {
                case .name:
                    if CanonicalJSON.bytes(value, equal: "null") {
                        name = .some(nil)
                    } else {
                        guard let text = CanonicalJSON.string(value) else { return false }
                        name = .some(text)
                    }
                case .status:
                    // A status not in its canonical spelling (NFC) is left to the parsed event, which maps it.
                    guard let text = CanonicalJSON.string(value),
                        (try? OntologyEvent.checkName(text, field: "", live: false)) != nil,
                        EventValidation.isNFC(text)
                    else {
                        return false
                    }
                    status = text
                case .properties:
                    // A patch whose keys may not be NFC (appended before keys were normalized) is merged parsed.
                    guard value.first == UInt8(ascii: "{"), CanonicalJSON.hasNFCKeys(value) else { return false }
                    let start = value.baseAddress! - bytes.baseAddress!
                    patch = start..<(start + value.count)
                case nil:
                    return false
                }
            }
            return true
        }
        guard recognized else { return nil }
        self.id = id
        self.name = name
        self.status = status
        propertiesPatch = patch.map { metadata[$0] }
    }

    private enum Member { case name, status, properties }

    private static func member(_ key: UnsafeRawBufferPointer) -> Member? {
        if CanonicalJSON.bytes(key, equal: "properties") { return .properties }
        if CanonicalJSON.bytes(key, equal: "status") { return .status }
        if CanonicalJSON.bytes(key, equal: "name") { return .name }
        return nil
    }
}
