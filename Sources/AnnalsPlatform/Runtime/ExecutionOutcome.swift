import Annals
import AnnalsSandbox

/// What one plugin execution did, as its audit trail records it.
public struct ExecutionOutcome: Sendable {
    /// The correlation id (also the job id), linking the execution's events.
    public var id: String
    /// The plugin, its version and the action.
    public var plugin: String
    /// The installed version that ran.
    public var version: String
    /// The action called.
    public var action: String
    /// The organization it ran in.
    public var organization: String
    /// The output (JSON), when it succeeded.
    public var output: [UInt8]?
    /// The failure, when it failed.
    public var failure: SandboxFailure?
    /// Fuel used, peak memory and duration.
    public var usage: ResourceUsage
    /// The offsets of the `plugin_action_initiated` event and of the outcome.
    public var initiatedOffset: UInt64
    /// The offset of the outcome event.
    public var outcomeOffset: UInt64
    /// The names of the secrets it read (never their values).
    public var secretsRead: [String] = []

    /// Whether it succeeded.
    public var succeeded: Bool { failure == nil }

    /// The outcome as `annals plugin run` prints it.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(id), "plugin": .string(plugin), "version": .string(version), "action": .string(action),
            "group": .string(organization), "status": .string(succeeded ? "executed" : "failed"),
            "fuelUsed": .integer(usage.fuelUsed), "peakMemoryBytes": .integer(usage.peakMemoryBytes),
            "durationMs": .double(usage.duration.milliseconds),
            "initiatedOffset": .integer(initiatedOffset), "outcomeOffset": .integer(outcomeOffset),
        ]
        if let output {
            members["output"] = (try? JSONParser.parse(output)) ?? .string(String(decoding: output, as: UTF8.self))
        }
        if let failure {
            members["errorKind"] = .string(failure.kind.rawValue)
            members["error"] = .string(failure.message)
        }
        return .object(members)
    }
}

extension Duration {
    /// The duration in milliseconds, as a `Double`.
    var milliseconds: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }
}
