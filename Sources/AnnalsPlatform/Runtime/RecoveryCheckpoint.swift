import Annals

/// What a recovery (``PluginRuntime/recoverAbandoned(actorId:organization:)``) found settled past its cursor, so
/// that the next one need not read it again: every execution with a `plugin_job_queued` or
/// `plugin_action_initiated` in the offsets `from + 1 ... through` had its outcome, except those listed in ``open``.
///
/// The recovery cursor (`platform.recovery.ORG`) stays where the oldest open execution begins, so one long job (or
/// one of another host, which is never recovered here) would otherwise make every start read all the executions
/// after it. A checkpoint is recorded as a `plugin_recovery_checkpoint` event on the stream
/// `plugin-recovery:ORG` (`plugin-recovery:*` for every organization), appended with `expectedVersion`; the
/// latest one is used when the cursor is at or past its ``from`` (a cursor reset or deleted since makes the next
/// recovery read from the cursor, as if there were none). Being in the log, it is rolled back, backed up and
/// restored with the executions it describes.
struct RecoveryCheckpoint: Sendable, Hashable {
    /// An execution open when the checkpoint was recorded: its id and the offset of its first event.
    struct Entry: Sendable, Hashable {
        /// The execution (correlation) id.
        var id: String
        /// The offset of its first event.
        var offset: UInt64
    }

    /// The recovery cursor's offset when the checkpoint was recorded: what it says begins after it.
    var from: UInt64
    /// The log's last offset that the recovery read.
    var through: UInt64
    /// The executions still open, oldest first.
    var open: [Entry]

    /// The fewest executions' events a recovery reads past its cursor (or the last checkpoint) before it records a
    /// checkpoint: at most one checkpoint per this many executions while one stays open, so a start reads at most
    /// about this many finished executions, plus the open ones and those appended since the last start.
    static let minimumReadToRecord = 32

    /// The most open executions a checkpoint lists (their ids and offsets take about 70 bytes each): with more, no
    /// checkpoint is recorded, and a start reads from the cursor as it did before checkpoints.
    static let maximumOpen = 1_000

    /// The stream of the checkpoints of recoveries in `organization` (every organization when `nil`).
    static func stream(organization: String?) -> String { "plugin-recovery:" + (organization ?? "*") }

    /// A checkpoint with these contents.
    init(from: UInt64, through: UInt64, open: [Entry]) {
        self.from = from
        self.through = through
        self.open = open
    }

    /// The checkpoint `event` records, or `nil` when it is not a well-formed checkpoint (then none is used).
    init?(_ event: RecordedEvent) {
        let metadata = event.metadata
        guard event.type == ExecutionEventType.recoveryCheckpoint,
            let from = metadata["from"]?.int64Value, let through = metadata["through"]?.int64Value,
            from >= 0, through >= from, let listed = metadata["open"]?.arrayValue
        else { return nil }
        var open: [Entry] = []
        for item in listed {
            guard let id = item["id"]?.stringValue, let offset = item["offset"]?.int64Value, offset > 0 else {
                return nil
            }
            open.append(Entry(id: id, offset: UInt64(offset)))
        }
        self.init(from: UInt64(from), through: UInt64(through), open: open)
    }

    /// Whether it may be used by a recovery whose cursor is at `cursor`: what it says begins at or before it.
    func applies(after cursor: UInt64) -> Bool { from <= cursor }

    /// The event recording it on ``stream(organization:)``, expected at `version` of that stream.
    func event(actorId: String, organization: String?, expectedVersion version: UInt64) -> NewEvent {
        NewEvent(
            type: ExecutionEventType.recoveryCheckpoint, actorId: actorId,
            targetId: Self.stream(organization: organization), groupId: organization,
            metadata: [
                "from": .integer(from), "through": .integer(through),
                "open": .array(open.map { ["id": .string($0.id), "offset": .integer($0.offset)] }),
            ],
            expectedVersion: version)
    }
}

/// What one recovery read: the count that must not grow with the executions that finished after an open one.
struct RecoveryWork: Sendable, Hashable {
    /// Events read from the log: `plugin_job_queued` and `plugin_action_initiated` past the cursor (or the last
    /// checkpoint), and the checkpoint itself.
    var eventsRead = 0
    /// Execution streams read (``PluginRuntime/job(_:)``), one per execution looked at.
    var streamsRead = 0
}
