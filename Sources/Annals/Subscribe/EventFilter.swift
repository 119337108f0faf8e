/// Which events a subscription or tail delivers: type patterns, and an exact target, group and actor.
///
/// A type pattern is an exact type (`thing.created`), a prefix (`thing.` followed by `*`, as in `thing.*`), or a
/// glob with `*` (any run of characters) and `?` (one character), such as `plugin_action_*ed`.
public struct EventFilter: Sendable, Hashable {
    /// Type patterns; an event matches if any matches. Empty: every type.
    public var types: [String]
    /// Only this target stream.
    public var targetId: String?
    /// Only this group.
    public var groupId: String?
    /// Only this actor.
    public var actorId: String?

    /// Creates a filter; with no arguments it passes every event.
    public init(types: [String] = [], targetId: String? = nil, groupId: String? = nil, actorId: String? = nil) {
        self.types = types
        self.targetId = targetId
        self.groupId = groupId
        self.actorId = actorId
    }

    /// Whether `pattern` is a valid type pattern: type characters plus `*` and `?`, 1–128 bytes.
    public static func isValidPattern(_ pattern: String) -> Bool {
        let bytes = pattern.utf8
        return !bytes.isEmpty && bytes.count <= EventValidation.maximumTypeLength
            && bytes.allSatisfy { EventValidation.isTypeByte($0) || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") }
    }

    /// Refuses any of `types` that is not a valid pattern (``isValidPattern(_:)``): an exact type or a pattern that
    /// no event could have can only be a mistake.
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` naming the first.
    static func checkPatterns(_ types: [String]) throws(AnnalsError) {
        for pattern in types where !isValidPattern(pattern) {
            throw .invalidArgument("type pattern '\(pattern)' must be 1–128 characters of A-Z a-z 0-9 _ . : - * ?")
        }
    }

    /// Whether `event` passes.
    public func matches(_ event: RecordedEvent) -> Bool {
        matches(type: event.type, targetId: event.targetId, groupId: event.groupId, actorId: event.actorId)
    }

    /// Whether an event accepted in a group commit passes (a conditional append's check).
    func matches(_ event: ProjectedEvent) -> Bool {
        matches(type: event.type, targetId: event.targetId, groupId: event.groupId, actorId: event.actorId)
    }

    private func matches(type: String, targetId: String?, groupId: String?, actorId: String?) -> Bool {
        if let wanted = self.targetId, targetId != wanted { return false }
        if let wanted = self.groupId, groupId != wanted { return false }
        if let wanted = self.actorId, actorId != wanted { return false }
        return types.isEmpty || types.contains { Self.glob($0, matches: type) }
    }

    /// The exact types, when no pattern has a wildcard (lets a read use the type index).
    var exactTypes: [String]? {
        types.contains(where: EventQuery.isPattern) ? nil : types
    }

    /// A query for the events after `offset` through `last` that can match: it uses the indexes for exact types,
    /// target, group and actor; type wildcards must still be applied to its results with ``matches(_:)``.
    public func query(after offset: UInt64, through last: UInt64) -> EventQuery {
        EventQuery(
            from: offset + 1, to: last, types: exactTypes ?? [], actorId: actorId, targetId: targetId,
            groupId: groupId)
    }

    /// Glob matching over bytes: `*` any run, `?` one byte.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern.utf8)
        let t = Array(text.utf8)
        var pi = 0
        var ti = 0
        var starP = -1
        var starT = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) {
                pi += 1
                ti += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                starP = pi
                starT = ti
                pi += 1
            } else if starP >= 0 {
                pi = starP + 1
                starT += 1
                ti = starT
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
