import Foundation

/// An event to append: the envelope fields a client supplies.
///
/// The engine assigns the `offset` (global, gapless, from 1) and the `version` (the position in the target
/// stream, from 1), and the `id` and `timestamp` when they are absent. See docs/FORMAT.md.
public struct NewEvent: Sendable, Hashable {
    /// A client-supplied id makes the append idempotent: appending the same id again returns the original
    /// offset and writes nothing. When `nil`, the engine assigns one.
    public var id: UUID?
    /// What happened, such as `thing.created`: 1–128 bytes of `[A-Za-z0-9_.:-]`.
    public var type: String
    /// Who did it.
    public var actorId: String?
    /// The stream: the entity the event is about. Versions count per target.
    public var targetId: String?
    /// The tenant or organization.
    public var groupId: String?
    /// Milliseconds since the Unix epoch; assigned at append when `nil`.
    public var timestamp: Int64?
    /// A JSON object with the event's data.
    public var metadata: JSONValue
    /// When set, the append fails unless the target stream's current version equals this (0: the stream must
    /// not exist yet). Requires `targetId`.
    public var expectedVersion: UInt64?

    /// Creates an event to append.
    public init(
        id: UUID? = nil,
        type: String,
        actorId: String? = nil,
        targetId: String? = nil,
        groupId: String? = nil,
        timestamp: Int64? = nil,
        metadata: JSONValue = .object([:]),
        expectedVersion: UInt64? = nil
    ) {
        self.id = id
        self.type = type
        self.actorId = actorId
        self.targetId = targetId
        self.groupId = groupId
        self.timestamp = timestamp
        self.metadata = metadata
        self.expectedVersion = expectedVersion
    }
}

/// What an append returns for each event, once the event is committed (and, with `.sync`, durable).
public struct AppendReceipt: Sendable, Hashable, Codable {
    /// The event's global offset.
    public var offset: UInt64
    /// The event's id (the client's, or the one assigned).
    public var id: UUID
    /// The event's version in its target stream (0 when it has no target).
    public var version: UInt64
    /// Whether the id had already been appended, so nothing was written and this is the original receipt.
    public var duplicate: Bool

    /// Creates a receipt.
    public init(offset: UInt64, id: UUID, version: UInt64, duplicate: Bool = false) {
        self.offset = offset
        self.id = id
        self.version = version
        self.duplicate = duplicate
    }
}
