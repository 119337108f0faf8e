import Foundation

/// The binary envelope: the uncompressed payload of a record (docs/FORMAT.md, "Envelope").
///
/// ```
/// u8       envelope version (1)
/// u8       flags: 0x01 client id, 0x02 actorId, 0x04 targetId, 0x08 groupId, 0x10 metadata
/// [16]     client id, when flagged
/// varint   version in the target stream (0: no target)
/// varint   timestamp, ms since 1970
/// lp       type                          (lp: varint length, then UTF-8 bytes)
/// lp       actorId, targetId, groupId, metadata (canonical JSON), each when flagged
/// ```
/// The offset is the record's key, and an assigned id is derived from it (``EventIdentity``).
enum Envelope {
    static let version: UInt8 = 1
    /// `{}`, shared by every event without metadata.
    static let emptyObject: [UInt8] = Array("{}".utf8)

    struct Flags: OptionSet {
        let rawValue: UInt8
        static let clientID = Flags(rawValue: 0x01)
        static let actor = Flags(rawValue: 0x02)
        static let target = Flags(rawValue: 0x04)
        static let group = Flags(rawValue: 0x08)
        static let metadata = Flags(rawValue: 0x10)
    }

    /// Encodes an event with its assigned fields. `metadataJSON` is canonical JSON; `{}` is omitted.
    static func encode(
        clientID: UUID?, version: UInt64, timestamp: Int64, type: String, actorId: String?, targetId: String?,
        groupId: String?, metadataJSON: [UInt8], into writer: inout ByteWriter
    ) {
        var flags: Flags = []
        if clientID != nil { flags.insert(.clientID) }
        if actorId != nil { flags.insert(.actor) }
        if targetId != nil { flags.insert(.target) }
        if groupId != nil { flags.insert(.group) }
        let hasMetadata = !(metadataJSON.count == 2 && metadataJSON[0] == UInt8(ascii: "{"))
        if hasMetadata { flags.insert(.metadata) }
        writer.u8(Self.version)
        writer.u8(flags.rawValue)
        if let clientID { writer.raw(clientID.bytes) }
        writer.varint(version)
        writer.varint(UInt64(timestamp))
        writer.lengthPrefixed(utf8: type)
        if let actorId { writer.lengthPrefixed(utf8: actorId) }
        if let targetId { writer.lengthPrefixed(utf8: targetId) }
        if let groupId { writer.lengthPrefixed(utf8: groupId) }
        if hasMetadata { writer.lengthPrefixed(metadataJSON) }
    }

    /// The envelope of a prepared event with its assigned version: what the log stores, and what the event size
    /// limit is measured on.
    static func encoded(_ prepared: PreparedEvent, version: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + prepared.metadataJSON.count)
        encode(
            clientID: prepared.event.id, version: version, timestamp: prepared.timestamp, type: prepared.event.type,
            actorId: prepared.event.actorId, targetId: prepared.event.targetId, groupId: prepared.event.groupId,
            metadataJSON: prepared.metadataJSON, into: &writer)
        return writer.bytes
    }

    /// Decodes a payload into an event.
    static func decode(
        _ payload: UnsafeRawBufferPointer, offset: UInt64, identity: EventIdentity
    ) throws(RecordFormatError) -> RecordedEvent {
        var reader = ByteReader(payload)
        do {
            let envelopeVersion = try reader.u8()
            guard envelopeVersion == Self.version else {
                throw RecordFormatError.malformedEnvelope("unknown envelope version \(envelopeVersion)")
            }
            let flags = Flags(rawValue: try reader.u8())
            guard flags.rawValue & ~0x1F == 0 else {
                throw RecordFormatError.malformedEnvelope("unknown flags 0x\(String(flags.rawValue, radix: 16))")
            }
            let id =
                flags.contains(.clientID)
                ? UUID(bytes: try reader.bytes(16)) : identity.assignedID(offset: offset)
            let version = try reader.varint()
            let timestamp = try reader.varint()
            guard timestamp <= UInt64(Int64.max) else {
                throw RecordFormatError.malformedEnvelope("timestamp out of range")
            }
            let type = try string(&reader)
            let actor = flags.contains(.actor) ? try string(&reader) : nil
            let target = flags.contains(.target) ? try string(&reader) : nil
            let group = flags.contains(.group) ? try string(&reader) : nil
            let metadata = flags.contains(.metadata) ? Array(try reader.lengthPrefixed()) : emptyObject
            guard reader.isAtEnd else {
                throw RecordFormatError.malformedEnvelope("\(reader.remaining) unexpected trailing bytes")
            }
            return RecordedEvent(
                offset: offset, id: id, type: type, actorId: actor, targetId: target, groupId: group,
                timestamp: Int64(timestamp), version: version, metadataJSON: metadata)
        } catch let failure as ByteReader.Failure {
            throw .malformedEnvelope("\(failure)")
        } catch let error as RecordFormatError {
            throw error
        } catch {
            throw .malformedEnvelope("\(error)")
        }
    }

    /// Checks that stored metadata is a JSON object: in one pass that allocates nothing when it is canonical (as the
    /// engine writes it), by parsing it otherwise.
    ///
    /// `verify` runs it on every record, so that metadata which does not parse (a writer's bug, or an edit that
    /// recomputed the CRC-32C) is reported as a malformed envelope. Reads do not: the CRC-32C already tells them the
    /// payload is what was written, and the pass added 8.7% to the instructions of `annals read`;
    /// ``RecordedEvent/parsedMetadata()`` says what is wrong when a reader parses such metadata.
    static func checkMetadata(_ bytes: [UInt8]) throws(RecordFormatError) {
        if bytes.first == UInt8(ascii: "{"), bytes.withUnsafeBytes({ CanonicalJSON.check($0) }) != nil { return }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw .malformedEnvelope("field 'metadata' is not valid JSON: \(error)")
        }
        guard case .object = value else { throw .malformedEnvelope("field 'metadata' is not a JSON object") }
    }

    private static func string(_ reader: inout ByteReader) throws -> String {
        let bytes = try reader.lengthPrefixed()
        // ASCII needs no validation; `String(validating:)` is markedly slower, so it is kept for the rest.
        if !ByteScan.containsNonASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw RecordFormatError.malformedEnvelope("invalid UTF-8 in a string field")
        }
        return s
    }
}
