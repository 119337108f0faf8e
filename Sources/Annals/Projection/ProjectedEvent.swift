import Foundation
import Synchronization

/// An event as a projection sees it: the envelope, the assigned offset and version, and the metadata.
///
/// The metadata is kept as the canonical JSON the log stores (``metadataJSON``) and parsed the first time
/// ``metadata`` is read, once per event however many projections read it. A replay thus pays for parsing only
/// where a projection needs the values: the built-in things and connections views apply the plain shapes of their
/// events straight from the bytes.
public struct ProjectedEvent: Sendable, Hashable {
    /// The log offset.
    public var offset: UInt64
    /// The event id.
    public var id: UUID
    /// The event type.
    public var type: String
    /// Who caused the event.
    public var actorId: String?
    /// The stream (entity) the event belongs to.
    public var targetId: String?
    /// The tenant or organization.
    public var groupId: String?
    /// Milliseconds since 1970.
    public var timestamp: Int64
    /// The position in the target stream.
    public var version: UInt64
    private var storage: ProjectedMetadata

    /// The metadata object, parsed on first use (and then shared by every copy of the event). Its keys are spelled
    /// as the log stores them (Unicode normalization form C), for an event being appended as for one replayed.
    public var metadata: JSONValue {
        get { storage.value }
        set { storage = ProjectedMetadata(newValue) }
    }

    /// The metadata as JSON text: the bytes the log stores, which the engine writes canonical (compact, keys sorted
    /// by their UTF-8 bytes), or the canonical form of the ``JSONValue`` the event was created with.
    public var metadataJSON: [UInt8] { storage.bytes }

    /// The metadata's bytes and where its members lie, when it is canonical JSON as ``CanonicalJSON`` checks it.
    var canonicalMetadataMembers: (bytes: [UInt8], members: CanonicalJSON.TopLevelMembers)? {
        storage.members.map { (storage.bytes, $0) }
    }

    /// Creates a projected event.
    public init(
        offset: UInt64, id: UUID, type: String, actorId: String? = nil, targetId: String? = nil,
        groupId: String? = nil, timestamp: Int64, version: UInt64, metadata: JSONValue
    ) {
        self.init(
            offset: offset, id: id, type: type, actorId: actorId, targetId: targetId, groupId: groupId,
            timestamp: timestamp, version: version, storage: ProjectedMetadata(metadata))
    }

    /// A projected event whose metadata `metadata` is already written as its canonical bytes `canonicalJSON`
    /// (``JSONValue/canonicalBytes``); with `metadata` `nil`, ``metadata`` parses `canonicalJSON` when first read.
    init(
        offset: UInt64, id: UUID, type: String, actorId: String?, targetId: String?, groupId: String?,
        timestamp: Int64, version: UInt64, metadata: JSONValue?, canonicalJSON: [UInt8]
    ) {
        self.init(
            offset: offset, id: id, type: type, actorId: actorId, targetId: targetId, groupId: groupId,
            timestamp: timestamp, version: version,
            storage: ProjectedMetadata(bytes: canonicalJSON, parsed: metadata))
    }

    /// The projected form of a recorded event. Canonical metadata is checked in one pass and parsed only when
    /// ``metadata`` is read; other metadata is parsed now.
    /// - Throws: ``AnnalsError/corruptRecord(offset:reason:)`` when the metadata is not valid JSON.
    public init(_ event: consuming RecordedEvent) throws(AnnalsError) {
        let storage = ProjectedMetadata(bytes: event.metadataJSON, parsed: nil)
        if storage.members == nil {
            do {
                storage.prefill(try JSONParser.parse(event.metadataJSON))
            } catch {
                throw .corruptRecord(offset: event.offset, reason: "metadata is not valid JSON: \(error)")
            }
        }
        self.init(
            offset: event.offset, id: event.id, type: event.type, actorId: event.actorId, targetId: event.targetId,
            groupId: event.groupId, timestamp: event.timestamp, version: event.version, storage: storage)
    }

    private init(
        offset: UInt64, id: UUID, type: String, actorId: String?, targetId: String?, groupId: String?,
        timestamp: Int64, version: UInt64, storage: ProjectedMetadata
    ) {
        self.offset = offset
        self.id = id
        self.type = type
        self.actorId = actorId
        self.targetId = targetId
        self.groupId = groupId
        self.timestamp = timestamp
        self.version = version
        self.storage = storage
    }

    /// Equal envelopes and equal metadata values (the same bytes, or the same values parsed).
    public static func == (a: ProjectedEvent, b: ProjectedEvent) -> Bool {
        a.offset == b.offset && a.id == b.id && a.type == b.type && a.actorId == b.actorId
            && a.targetId == b.targetId && a.groupId == b.groupId && a.timestamp == b.timestamp
            && a.version == b.version && (a.storage.bytes == b.storage.bytes || a.metadata == b.metadata)
    }

    /// Hashes the envelope and the metadata value.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(offset)
        hasher.combine(id)
        hasher.combine(type)
        hasher.combine(actorId)
        hasher.combine(targetId)
        hasher.combine(groupId)
        hasher.combine(timestamp)
        hasher.combine(version)
        hasher.combine(metadata)
    }
}

/// A projected event's metadata: its JSON bytes, and the value parsed from them the first time it is asked for.
/// Copies of the event share it; projections replaying on several workers may ask for it at once.
private final class ProjectedMetadata: Sendable {
    let bytes: [UInt8]
    /// Where the members of ``bytes`` lie when they pass ``CanonicalJSON/check(_:)``, which also guarantees they
    /// parse; `nil` when they do not.
    let members: CanonicalJSON.TopLevelMembers?
    private let parsed: Mutex<JSONValue?>

    /// The metadata `bytes`, checked now, with their value `parsed` when it is already known.
    init(bytes: [UInt8], parsed: JSONValue?) {
        self.bytes = bytes
        members = bytes.withUnsafeBytes { CanonicalJSON.check($0) }
        self.parsed = Mutex(parsed)
    }

    convenience init(_ value: JSONValue) {
        self.init(bytes: value.canonicalBytes, parsed: value)
    }

    /// Records the value parsed from non-canonical bytes, before the event is shared.
    func prefill(_ value: JSONValue) {
        parsed.withLock { $0 = value }
    }

    var value: JSONValue {
        parsed.withLock { parsed in
            if let parsed { return parsed }
            // Only canonical bytes are left unparsed, and the canonical check accepts nothing the parser refuses.
            let value = (try? JSONParser.parse(bytes)) ?? .object([:])
            parsed = value
            return value
        }
    }
}
