import Annals

/// What a recovery found to look at: the executions still open (queued or running) that it must check, and where
/// it read.
struct RecoveryScan: Sendable {
    /// The log's last offset when the recovery started: what it read through.
    var head: UInt64
    /// The recovery cursor's offset when it started: every execution beginning at or before it was settled.
    var cursor: UInt64
    /// The recovery cursor's resets count when it started (``SubscriberCursor/resets``), `nil` when it did not exist:
    /// the recovery's acknowledgement is conditional on it, so that it does not undo an operator's reset.
    var cursorResets: UInt64? = nil
    /// The version of the checkpoints' stream when it started: a checkpoint is appended expecting it.
    var checkpointVersion: UInt64
    /// The executions still open, by id.
    var open: [String: JobStatus] = [:]
    /// How many `plugin_job_queued` and `plugin_action_initiated` events it read past the cursor or the checkpoint.
    var executionEventsRead = 0
    /// The executions looked at, so that each stream is read once.
    var seen: Set<String> = []
}

extension PluginRuntime {
    /// The executions a recovery with cursor `name` in `organization` (every organization when `nil`) must check:
    /// those listed open by the latest checkpoint (``RecoveryCheckpoint``) when it applies, and those with a
    /// `plugin_job_queued` or `plugin_action_initiated` past it (past the cursor when none applies), each read from
    /// its stream and kept when it is queued or running. Counts what it reads in `work`.
    func openExecutions(
        organization: String?, cursor name: String, work: inout RecoveryWork
    ) throws(PlatformError) -> RecoveryScan {
        let stream = RecoveryCheckpoint.stream(organization: organization)
        do {
            // The checkpoint before the cursor: one recorded meanwhile begins at or before the cursor read after it.
            let version = try store.version(of: stream)
            let checkpoint = version == 0 ? nil : try latestCheckpoint(on: stream, work: &work)
            let stored = try store.cursor(named: name)
            let cursor = stored?.offset ?? 0
            var scan = RecoveryScan(head: try store.head().offset, cursor: cursor, checkpointVersion: version)
            scan.cursorResets = stored?.resets
            var query = EventQuery(from: cursor + 1, to: scan.head)
            query.types = [ExecutionEventType.jobQueued, ExecutionEventType.initiated]
            query.groupId = organization
            if let checkpoint, checkpoint.applies(after: cursor) {
                query.from = max(query.from, checkpoint.through + 1)
                for entry in checkpoint.open where entry.offset > cursor {
                    try look(at: entry.id, &scan, work: &work)
                }
            }
            guard query.from <= query.to else { return scan }
            for event in try store.events(query).collect() {
                work.eventsRead += 1
                scan.executionEventsRead += 1
                guard let id = event.metadata["correlationId"]?.stringValue else { continue }
                try look(at: id, &scan, work: &work)
            }
            return scan
        } catch {
            throw PlatformError(error)
        }
    }

    /// Reads the stream of execution `id` (once per scan) and keeps it in `scan` when it is queued or running.
    private func look(at id: String, _ scan: inout RecoveryScan, work: inout RecoveryWork) throws(PlatformError) {
        guard scan.seen.insert(id).inserted else { return }
        work.streamsRead += 1
        guard let status = try job(id), status.state == .running || status.state == .queued else { return }
        scan.open[id] = status
    }

    /// The latest checkpoint on `stream`, or `nil` when its last event is not one.
    private func latestCheckpoint(
        on stream: String, work: inout RecoveryWork
    ) throws(AnnalsError) -> RecoveryCheckpoint? {
        let query = EventQuery(targetId: stream, limit: 1, reverse: true)
        guard let event = try store.events(query).collect().first else { return nil }
        work.eventsRead += 1
        return RecoveryCheckpoint(event)
    }

    /// Records a checkpoint of `scan` with `stillOpen` (its open executions less those just recorded as abandoned),
    /// when the next recovery would otherwise read again at least ``RecoveryCheckpoint/minimumReadToRecord``
    /// executions' events past the oldest of them. Another process's checkpoint recorded meanwhile (a version
    /// conflict) is as good, and one too large for the store is left out: the next start then reads from the
    /// cursor, as it would without checkpoints.
    func recordCheckpoint(
        of scan: RecoveryScan, stillOpen: [JobStatus], actorId: String, organization: String?
    ) throws(PlatformError) {
        guard !stillOpen.isEmpty, stillOpen.count <= RecoveryCheckpoint.maximumOpen,
            scan.executionEventsRead >= RecoveryCheckpoint.minimumReadToRecord
        else { return }
        let checkpoint = RecoveryCheckpoint(
            from: scan.cursor, through: scan.head,
            open: stillOpen.map { RecoveryCheckpoint.Entry(id: $0.id, offset: $0.firstOffset) })
        do {
            _ = try store.appendAndWait([
                checkpoint.event(actorId: actorId, organization: organization, expectedVersion: scan.checkpointVersion)
            ])
        } catch .versionConflict, .eventTooLarge {
            return
        } catch {
            throw .store(error)
        }
    }
}
