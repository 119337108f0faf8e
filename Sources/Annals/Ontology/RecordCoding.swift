/// Shared pieces of the ontology records' binary encoding.
extension ByteWriter {
    mutating func string(_ value: String) { lengthPrefixed(utf8: value) }

    mutating func optionalString(_ value: String?) {
        if let value {
            u8(1)
            string(value)
        } else {
            u8(0)
        }
    }

    mutating func json(_ value: JSONValue) { lengthPrefixed(value.canonicalBytes) }

    mutating func stamp(_ stamp: EntityStamp) {
        varint(stamp.createdOffset)
        varint(stamp.updatedOffset)
        varint(UInt64(max(stamp.createdAt, 0)))
        varint(UInt64(max(stamp.updatedAt, 0)))
    }
}

extension ByteReader {
    mutating func string() throws(Failure) -> String { String(decoding: try lengthPrefixed(), as: UTF8.self) }

    mutating func optionalString() throws(Failure) -> String? {
        try u8() == 0 ? nil : try string()
    }

    mutating func stamp() throws(Failure) -> EntityStamp {
        EntityStamp(
            createdOffset: try varint(), updatedOffset: try varint(),
            createdAt: Int64(truncatingIfNeeded: try varint()),
            updatedAt: Int64(truncatingIfNeeded: try varint()))
    }
}

/// Reads the length-prefixed properties of a thing or connection record: canonical JSON that must be one object.
/// - Throws: ``OntologyRecordError`` naming the table and key when it is not.
func readProperties(_ reader: inout ByteReader, table: String, key: String) throws -> [UInt8] {
    let properties = Array(try reader.lengthPrefixed())
    guard CanonicalMergePatch.isObject(properties) else { throw OntologyRecordError(table: table, key: key) }
    return properties
}

/// When an entity was created and last changed: log offsets and event timestamps (milliseconds).
public struct EntityStamp: Sendable, Hashable {
    /// The offset of the event that created it (or last restored it after a deletion).
    public var createdOffset: UInt64
    /// The offset of the last event that changed it.
    public var updatedOffset: UInt64
    /// The timestamp of the creating event.
    public var createdAt: Int64
    /// The timestamp of the last changing event.
    public var updatedAt: Int64

    /// A stamp for an entity created by `event`.
    init(createdBy event: ProjectedEvent) {
        createdOffset = event.offset
        updatedOffset = event.offset
        createdAt = event.timestamp
        updatedAt = event.timestamp
    }

    init(createdOffset: UInt64, updatedOffset: UInt64, createdAt: Int64, updatedAt: Int64) {
        self.createdOffset = createdOffset
        self.updatedOffset = updatedOffset
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// This stamp, changed by `event`.
    func touched(by event: ProjectedEvent) -> EntityStamp {
        var stamp = self
        stamp.updatedOffset = event.offset
        stamp.updatedAt = event.timestamp
        return stamp
    }

    var jsonMembers: [String: JSONValue] {
        [
            "createdOffset": .integer(createdOffset), "updatedOffset": .integer(updatedOffset),
            "createdAt": .integer(createdAt), "updatedAt": .integer(updatedAt),
        ]
    }
}

/// A stored ontology record that does not decode. Reported as ``AnnalsError/projectionUnavailable(name:reason:)``
/// naming the projection to rebuild (the view is derived from the log, which is intact).
struct OntologyRecordError: Error, CustomStringConvertible {
    let table: String
    let key: String
    var description: String { "the \(table) record '\(key)' is malformed" }

    /// The projection that owns `table`.
    var projection: String {
        switch table {
        case "things": "things"
        case "connections": "connections"
        default: "knowledge"
        }
    }
}

/// Decodes a record with `body`, mapping a truncated read or bad version to ``OntologyRecordError``.
func decodeRecord<T>(
    _ bytes: UnsafeRawBufferPointer, table: String, key: String, _ body: (inout ByteReader) throws -> T
) throws -> T {
    var reader = ByteReader(bytes)
    do {
        guard try reader.u8() == 1 else { throw OntologyRecordError(table: table, key: key) }
        return try body(&reader)
    } catch {
        throw OntologyRecordError(table: table, key: key)
    }
}
