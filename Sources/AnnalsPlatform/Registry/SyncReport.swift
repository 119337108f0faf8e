import Annals

/// What one `annals plugin sync` did: the plugins added, changed and removed, and the entries it skipped.
public struct SyncReport: Sendable {
    /// The registry's name.
    public var registry: String
    /// The registry's scope.
    public var scope: PluginScope
    /// The format the source was read as.
    public var format: RegistryFormat
    /// Plugins listed for the first time (or again after being withdrawn).
    public var added: [String]
    /// Plugins whose entry changed.
    public var changed: [String]
    /// Plugins the registry no longer lists (withdrawn: still installed where they are, no longer offered).
    public var removed: [String]
    /// How many listed plugins were unchanged.
    public var unchanged: Int
    /// The entries skipped, each with what is wrong.
    public var problems: [EntryProblem]
    /// Problems that skipped nothing, such as a trailing comma.
    public var warnings: [String]
    /// How many events the sync appended (0 when nothing changed at all).
    public var events: Int
    /// The offset of the sync's last event, or `nil` when it appended none.
    public var offset: UInt64?

    /// The summary as JSON, as `annals plugin sync` prints it.
    public var json: JSONValue {
        .object([
            "registry": .string(registry), "scope": .string(scope.groupId), "format": .string(format.rawValue),
            "added": .array(added.map(JSONValue.string)), "changed": .array(changed.map(JSONValue.string)),
            "removed": .array(removed.map(JSONValue.string)), "unchanged": .integer(unchanged),
            "skipped": .array(problems.map { .string($0.description) }),
            "warnings": .array(warnings.map(JSONValue.string)), "events": .integer(events),
            "offset": offset.map(JSONValue.integer) ?? .null,
        ])
    }
}
