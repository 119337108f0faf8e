import Annals
import AnnalsResolver

/// What an install, update or rollback does to one organization's plugins, step by step, and the events that
/// do it (one atomic batch).
public struct InstallPlan: Sendable {
    /// One plugin's change.
    public struct Step: Sendable, Hashable {
        /// What happens to the plugin.
        public enum Action: String, Sendable {
            /// Installed for the first time.
            case install
            /// Moved to a newer version.
            case upgrade
            /// Moved to an older version.
            case downgrade
            /// Already installed at a satisfying version: skipped.
            case keep
            /// Its requested range, pin or grants change; the version stays.
            case reconfigure
            /// No longer needed by anything: removed.
            case remove
        }

        /// The plugin's name.
        public var name: String
        /// The version before, or `nil` when it was not installed.
        public var from: SemanticVersion?
        /// The version after, or `nil` when it is removed.
        public var to: SemanticVersion?
        /// What happens.
        public var action: Action
        /// Who requires it and with which range (`requested by the install (^1.0.0)`).
        public var reasons: [String]
        /// Permissions this step grants that were not granted before.
        public var newGrants: [String]

        /// The step as `annals plugin install` prints it.
        public var json: JSONValue {
            .object([
                "name": .string(name), "action": .string(action.rawValue),
                "from": from.map { .string($0.description) } ?? .null,
                "to": to.map { .string($0.description) } ?? .null,
                "reasons": .array(reasons.map(JSONValue.string)), "newGrants": .array(newGrants.map(JSONValue.string)),
            ])
        }
    }

    /// The organization.
    public var organization: String
    /// What was asked for, such as `install @elizaos/plugin-sql@^1.0.0`.
    public var request: String
    /// The changes, dependencies first; removals last.
    public var steps: [Step]
    /// The events that carry out the plan, empty when nothing changes.
    public var events: [NewEvent]
    /// The offset of the plan's last event once appended, `nil` for a dry run or when nothing changed.
    public var offset: UInt64?

    /// Whether anything changes.
    public var changesAnything: Bool { !events.isEmpty }

    /// The summary line `annals plugin install` prints after the steps.
    public var summaryJSON: JSONValue {
        var counts: [String: JSONValue] = [:]
        for step in steps {
            counts[step.action.rawValue] = .integer((counts[step.action.rawValue]?.int64Value ?? 0) + 1)
        }
        return .object([
            "group": .string(organization), "request": .string(request), "steps": .object(counts),
            "events": .integer(events.count), "offset": offset.map(JSONValue.integer) ?? .null,
        ])
    }
}
