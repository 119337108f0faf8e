/// A filtered read of the log. Every filter is optional; filters combine with AND.
public struct EventQuery: Sendable, Hashable {
    /// The first offset to include (default 1; 0 counts as 1).
    public var from: UInt64
    /// The last offset to include (default: the end).
    public var to: UInt64
    /// Event types to include (any of them); empty: all types. Each is an exact type or a pattern with `*` (any run
    /// of characters) and `?` (one character), as in ``EventFilter``: `thing.*` reads every `thing.` type. A pattern
    /// is matched against the types the log holds when the read starts, and each of them read through its posting
    /// list. Each must be 1–128 characters of `A-Z a-z 0-9 _ . : - * ?`: reading throws
    /// ``AnnalsError/invalidArgument(_:)`` for another.
    public var types: [String]
    /// Only events by this actor.
    public var actorId: String?
    /// Only events on this target stream.
    public var targetId: String?
    /// Only events of this group.
    public var groupId: String?
    /// Only events with a timestamp at or after this (ms since 1970).
    public var since: Int64?
    /// Only events with a timestamp before this (ms since 1970; exclusive).
    public var until: Int64?
    /// At most this many events (0 or more): reading throws ``AnnalsError/invalidArgument(_:)`` for a negative
    /// limit.
    public var limit: Int?
    /// Newest first.
    public var reverse: Bool

    /// Creates a query; with no arguments it reads the whole log, oldest first.
    public init(
        from: UInt64 = 1, to: UInt64 = .max, types: [String] = [], actorId: String? = nil, targetId: String? = nil,
        groupId: String? = nil, since: Int64? = nil, until: Int64? = nil, limit: Int? = nil, reverse: Bool = false
    ) {
        self.from = max(from, 1)
        self.to = to
        self.types = types
        self.actorId = actorId
        self.targetId = targetId
        self.groupId = groupId
        self.since = since
        self.until = until
        self.limit = limit
        self.reverse = reverse
    }

    /// Throws ``AnnalsError/invalidArgument(_:)`` naming the first argument a read cannot take: a type that is not
    /// a valid pattern, or a negative limit.
    func checkArguments() throws(AnnalsError) {
        try EventFilter.checkPatterns(types)
        if let limit, limit < 0 { throw .invalidArgument("query limit \(limit) is negative (must be 0 or more)") }
    }

    /// Whether some of ``types`` has a wildcard (`*` or `?`).
    var hasTypePatterns: Bool { types.contains(where: Self.isPattern) }

    /// Whether `type` is a pattern rather than an exact type.
    static func isPattern(_ type: String) -> Bool {
        type.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") }
    }

    /// Whether event type `type` matches `typeOrPattern`.
    static func type(_ type: String, matches typeOrPattern: String) -> Bool {
        isPattern(typeOrPattern) ? EventFilter.glob(typeOrPattern, matches: type) : type == typeOrPattern
    }

    /// Whether `event` passes every filter (the offset range included).
    public func matches(_ event: RecordedEvent) -> Bool {
        guard event.offset >= from, event.offset <= to else { return false }
        if !types.isEmpty && !types.contains(where: { Self.type(event.type, matches: $0) }) { return false }
        if let actorId, event.actorId != actorId { return false }
        if let targetId, event.targetId != targetId { return false }
        if let groupId, event.groupId != groupId { return false }
        if let since, event.timestamp < since { return false }
        if let until, event.timestamp >= until { return false }
        return true
    }
}
