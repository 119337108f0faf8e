import Annals

/// The atomic batch of events one plugin operation appended in an organization (an install, update, rollback, pin or
/// unpin): its events carry the same `metadata.plugin` (the operation, what was asked and the `basis` offset it was
/// planned at) and are contiguous. The state at an offset inside it, half of the operation, never existed.
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
        func operation(at offset: UInt64) throws(AnnalsError) -> JSONValue? {
            guard offset > 0 else { return nil }
            return try event(at: offset)?.metadata["plugin"]
        }
        guard let here = try operation(at: offset), here["basis"] != nil, try operation(at: offset + 1) == here else {
            return nil
        }
        var first = offset
        while try operation(at: first - 1) == here { first -= 1 }
        var last = offset + 1
        while try operation(at: last + 1) == here { last += 1 }
        let request = here["request"]?.stringValue ?? here["operation"]?.stringValue ?? "a plugin operation"
        return PluginOperationBatch(request: request, offsets: first...last)
    }
}
