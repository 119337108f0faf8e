import Annals
import Crypto

/// An installed plugin that reacts to events: the event types it subscribes to (its `subscribes_to`
/// connections) and its durable cursor.
public struct PluginSubscription: Sendable, Hashable {
    /// The organization: only its events are delivered.
    public var organization: String
    /// The plugin.
    public var plugin: String
    /// The installed version.
    public var version: String
    /// The event type patterns.
    public var patterns: [String]
    /// The offset each pattern's subscription began at: the creation of its `subscribes_to` connection (by an install,
    /// an update or a rollback's restore). Only the events after it are delivered under that pattern, so an update
    /// that drops a pattern and a later one that brings it back skip the events in between, and a pattern an update
    /// adds is not delivered the events that came before it.
    public var subscribedOffsets: [String: UInt64]
    /// The durable cursor's name: one per plugin instance.
    public var cursor: String
    /// The offset the install was created at: events before it are not delivered.
    public var installedOffset: UInt64
    /// The last offset acknowledged (everything through it was handled or dead-lettered), or ``installedOffset`` when
    /// the cursor has none past it (a cursor left by an earlier install of the name, removed since, counts from
    /// this install: the events before it are not delivered).
    public var position: UInt64
    /// The unresolved dead letters.
    public var deadLetters: Int

    /// The cursor name of a plugin instance: `plugin:ORG:NAME`, with characters cursors do not allow replaced and
    /// a short digest appended when anything was replaced (so two names never share a cursor).
    static func cursorName(organization: String, plugin: String) -> String {
        let allowed = plugin.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_.:-".contains($0)) ? $0 : "-" }
        var name = "plugin:\(organization):" + String(allowed)
        if String(allowed) != plugin {
            name += "-" + SHA256.hash(data: Array(plugin.utf8)).prefix(4).hexadecimal
        }
        return String(name.prefix(128))
    }

    /// The subscription as `annals plugin subscriptions` prints it.
    public var json: JSONValue {
        .object([
            "group": .string(organization), "plugin": .string(plugin), "version": .string(version),
            "types": .array(patterns.map(JSONValue.string)), "cursor": .string(cursor),
            "position": .integer(position), "deadLetters": .integer(deadLetters),
        ])
    }
}

/// An event a plugin could not handle after every retry.
public struct DeadLetter: Sendable, Hashable {
    /// The dead letter's id (its stream).
    public var id: String
    /// The organization.
    public var organization: String
    /// The plugin.
    public var plugin: String
    /// The offset of the event that could not be handled.
    public var eventOffset: UInt64
    /// Its type.
    public var eventType: String
    /// How many attempts were made: the dispatcher's, then one per failed retry.
    public var attempts: Int
    /// The last failure's kind.
    public var errorKind: String
    /// The last failure's message.
    public var error: String
    /// Whether a later retry handled it.
    public var resolved: Bool

    /// The dead letter as `annals plugin dead-letters` prints it.
    public var json: JSONValue {
        .object([
            "id": .string(id), "group": .string(organization), "plugin": .string(plugin),
            "eventOffset": .integer(eventOffset), "eventType": .string(eventType), "attempts": .integer(attempts),
            "errorKind": .string(errorKind), "error": .string(error), "resolved": .bool(resolved),
        ])
    }
}
