import Annals

/// The atomic batch of events one plugin operation appended (an install, update, rollback, pin or unpin in an
/// organization, or a registry sync): its events carry the same `metadata.plugin` (the operation, what was asked and
/// the `basis` offset it was planned at) and are contiguous. The state at an offset inside it, half of the operation, never existed.
public struct PluginOperationBatch: Sendable, Hashable {
    /// What the operation was asked to do (`install portfolio@^1.2.0`), or its name when it records no request.
    public var request: String
    /// Its first and last offsets.
    public var offsets: ClosedRange<UInt64>
}

extension EventStore {
    /// The batch of one plugin operation when `offset` lies inside it: the events at `offset` and `offset + 1` both
    /// belong to it. `plugin rollback` refuses such a target; `annals rollback --to` refuses it too, and
    /// `annals state --at` warns about it, since the core's ``rollbackBatch(containing:)`` knows only the batches of
    /// its own rollbacks.
    /// - Returns: The batch, or `nil` when `offset` is 0, outside every plugin operation, or an operation's last
    ///   offset (the state after the whole operation).
    /// - Throws: ``AnnalsError`` when the events around `offset` cannot be read.
    public func pluginOperationBatch(containing offset: UInt64) throws(AnnalsError) -> PluginOperationBatch? {
        // Its events share `metadata.plugin`, which holds the `basis` offset it was planned at.
        guard let offsets = try batch(containing: offset, markedBy: { $0.metadata["plugin"].flatMap(Self.planned) })
        else { return nil }
        let operation = try event(at: offsets.lowerBound)?.metadata["plugin"]
        let request = operation?["request"]?.stringValue ?? operation?["operation"]?.stringValue
        return PluginOperationBatch(request: request ?? "a plugin operation", offsets: offsets)
    }

    /// `operation` (an event's `metadata.plugin`) when it records the offset an operation was planned at; `nil` for
    /// any other `metadata.plugin` (an execution's audit events name the plugin, a plugin's own appends carry its
    /// name and correlation id), whose events are no batch of an operation.
    private static func planned(_ operation: JSONValue) -> JSONValue? {
        // Not `cond ? nil : operation`: that `nil` would be a `JSONValue` (`.null`, which it is expressible by), so
        // every event without a `basis` carried the same mark, and runs of executions read as one batch.
        guard operation["basis"] != nil else { return nil }
        return operation
    }
}

extension PluginOperationBatch {
    /// Why `offset`, inside this batch, is no target for a rollback: the batch and the sound targets either side.
    public func refusal(asTarget offset: UInt64) -> String {
        "--to \(offset) is inside the batch of '\(request)' (offsets \(offsets.lowerBound)–\(offsets.upperBound)), whose "
            + "state is half of it: roll back to \(offsets.lowerBound - 1) (before it) or \(offsets.upperBound) (after it)"
    }
}
