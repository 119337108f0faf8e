import Foundation

/// An event as stored in the log, with the fields the engine assigned.
public struct RecordedEvent: Sendable, Hashable {
    /// The global offset: gapless, from 1, in commit order.
    public var offset: UInt64
    /// The event's id.
    public var id: UUID
    /// The event type.
    public var type: String
    /// Who did it.
    public var actorId: String?
    /// The target stream.
    public var targetId: String?
    /// The tenant or organization.
    public var groupId: String?
    /// Milliseconds since the Unix epoch.
    public var timestamp: Int64
    /// The position in the target stream, from 1 (0 when there is no target).
    public var version: UInt64
    /// The metadata object as canonical JSON bytes (keys sorted, no whitespace).
    public var metadataJSON: [UInt8]

    /// Creates a recorded event (the engine does this when it reads the log).
    public init(
        offset: UInt64, id: UUID, type: String, actorId: String?, targetId: String?, groupId: String?,
        timestamp: Int64, version: UInt64, metadataJSON: [UInt8]
    ) {
        self.offset = offset
        self.id = id
        self.type = type
        self.actorId = actorId
        self.targetId = targetId
        self.groupId = groupId
        self.timestamp = timestamp
        self.version = version
        self.metadataJSON = metadataJSON
    }

    /// The metadata, parsed.
    ///
    /// The engine stores metadata only as a JSON object, and a read checks the record's CRC-32C, so this is the
    /// stored value. Bytes that do not parse (a writer's bug, an edit that recomputed the CRC-32C, or an event built
    /// by hand) read as `{}` here: ``parsedMetadata()`` throws instead, and `verify` reports such a record as an
    /// `envelope` problem.
    public var metadata: JSONValue {
        (try? parsedMetadata()) ?? .object([:])
    }

    /// The metadata, parsed, or the reason it cannot be.
    /// - Throws: ``AnnalsError/corruptRecord(offset:reason:)`` at ``offset``, naming the field, when ``metadataJSON``
    ///   is not valid JSON (see ``metadata``).
    public func parsedMetadata() throws(AnnalsError) -> JSONValue {
        do {
            return try JSONParser.parse(metadataJSON)
        } catch {
            throw .corruptRecord(offset: offset, reason: "field 'metadata' is not valid JSON: \(error)")
        }
    }

    /// The event as one compact JSON object, with keys in a fixed order:
    /// `offset, id, type, actorId, targetId, groupId, timestamp, version, metadata` (absent ids omitted).
    public var jsonLine: String {
        var out = [UInt8]()
        out.reserveCapacity(160 + metadataJSON.count)
        appendJSON(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends ``jsonLine`` (without a newline) to `out`.
    public func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"offset":"#.utf8)
        out.append(contentsOf: String(offset).utf8)
        out.append(contentsOf: #","id":""#.utf8)
        id.appendLowercased(to: &out)
        out.append(contentsOf: #"","type":"#.utf8)
        JSONWriter.writeString(type, into: &out)
        if let actorId {
            out.append(contentsOf: #","actorId":"#.utf8)
            JSONWriter.writeString(actorId, into: &out)
        }
        if let targetId {
            out.append(contentsOf: #","targetId":"#.utf8)
            JSONWriter.writeString(targetId, into: &out)
        }
        if let groupId {
            out.append(contentsOf: #","groupId":"#.utf8)
            JSONWriter.writeString(groupId, into: &out)
        }
        out.append(contentsOf: #","timestamp":"#.utf8)
        out.append(contentsOf: String(timestamp).utf8)
        out.append(contentsOf: #","version":"#.utf8)
        out.append(contentsOf: String(version).utf8)
        out.append(contentsOf: #","metadata":"#.utf8)
        out.append(contentsOf: metadataJSON)
        out.append(UInt8(ascii: "}"))
    }
}
