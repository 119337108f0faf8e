import Annals

/// Where an execution (a job, or a synchronous run) stands, read from its stream.
public struct JobStatus: Sendable, Hashable {
    /// The states of an execution.
    public enum State: String, Sendable {
        /// Accepted, waiting for a slot of its organization.
        case queued
        /// Started (`plugin_action_initiated`), no outcome yet.
        case running
        /// Succeeded.
        case executed
        /// Failed (see ``errorKind``).
        case failed
        /// Cancelled before it started.
        case cancelled
        /// Its host stopped before it recorded an outcome.
        case abandoned
    }

    /// The job (correlation) id.
    public var id: String
    /// The organization.
    public var organization: String
    /// The plugin.
    public var plugin: String
    /// The action.
    public var action: String
    /// Where it stands.
    public var state: State
    /// The failure kind, when it failed (`timeout`, `outOfFuel`, `cancelled`, …).
    public var errorKind: String?
    /// The result, when it succeeded and was small enough to record (64 KiB).
    public var result: JSONValue?
    /// The offset of its first event and of its last.
    public var firstOffset: UInt64
    /// The offset of its last event.
    public var lastOffset: UInt64
    /// The process that runs (or ran) it, and on which host.
    public var pid: Int64?
    /// The host name of that process.
    public var hostname: String?
    /// Whether it delivers an event to a subscribed plugin (its `plugin_action_initiated` has `trigger.kind`
    /// `event`): such an execution runs in a dispatcher's batch, which watches no cancel requests.
    var isDelivery = false

    /// The status as `annals plugin jobs` prints it.
    public var json: JSONValue {
        .object([
            "id": .string(id), "group": .string(organization), "plugin": .string(plugin), "action": .string(action),
            "state": .string(state.rawValue), "errorKind": errorKind.map(JSONValue.string) ?? .null,
            "result": result ?? .null, "firstOffset": .integer(firstOffset), "lastOffset": .integer(lastOffset),
        ])
    }

    /// Folds one event of an execution stream into the status.
    mutating func apply(_ event: RecordedEvent) {
        let metadata = event.metadata
        lastOffset = event.offset
        switch event.type {
        case ExecutionEventType.jobQueued: state = .queued
        case ExecutionEventType.initiated:
            state = .running
            isDelivery = metadata["trigger"]?["kind"]?.stringValue == "event"
            pid = metadata["host"]?["pid"]?.int64Value
            hostname = metadata["host"]?["hostname"]?.stringValue
        case ExecutionEventType.executed:
            state = .executed
            result = metadata["result"]
        case ExecutionEventType.failed:
            state = .failed
            errorKind = metadata["errorKind"]?.stringValue
        case ExecutionEventType.jobCancelled: state = .cancelled
        case ExecutionEventType.abandoned: state = .abandoned
        default: break
        }
    }

    /// A status from the first event of an execution stream.
    init?(first event: RecordedEvent) {
        let metadata = event.metadata
        guard let id = metadata["correlationId"]?.stringValue, let plugin = metadata["plugin"]?.stringValue,
            let action = metadata["action"]?.stringValue
        else { return nil }
        self.id = id
        organization = event.groupId ?? ""
        self.plugin = plugin
        self.action = action
        state = .queued
        firstOffset = event.offset
        lastOffset = event.offset
        pid = metadata["host"]?["pid"]?.int64Value
        hostname = metadata["host"]?["hostname"]?.stringValue
        apply(event)
    }
}
