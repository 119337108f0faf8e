import Annals
import Foundation

extension PluginRuntime {
    /// Finds executions whose host stopped before they recorded an outcome — a `plugin_action_initiated` (or a
    /// queued job) with no outcome, whose process is no longer alive on this host — and records each as
    /// `plugin_action_abandoned`. Call it when a host starts (`annals plugin run` and `annals plugin jobs` do):
    /// no execution is ever silent, even when the host was killed mid-run.
    ///
    /// Executions of other hosts are left alone (their process cannot be checked from here). The durable cursor
    /// `platform.recovery.ORG` (``allOrganizationsRecoveryCursor`` for every organization) keeps its place before the oldest execution still open, and a checkpoint
    /// (`plugin_recovery_checkpoint`) lists the executions open past it, so each start reads the open executions and
    /// those that came since the last start, not every one since the oldest still open. The outcome is appended
    /// with `expectedVersion`, so an execution that records its own outcome at the same moment wins.
    /// - Returns: The executions recorded as abandoned.
    @discardableResult
    public func recoverAbandoned(actorId: String, organization: String? = nil) throws(PlatformError) -> [JobStatus] {
        var work = RecoveryWork()
        return try recoverAbandoned(actorId: actorId, organization: organization, work: &work)
    }

    /// The recovery cursor of every organization together: a name no organization's (`platform.recovery.ORG`) can
    /// take, since an organization name has no `:`. (It was `platform.recovery.all`, which an organization named
    /// `all` shared: one recovery could then move the cursor past the other's open executions.)
    static let allOrganizationsRecoveryCursor = "platform.recovery:all"

    /// ``recoverAbandoned(actorId:organization:)``, counting in `work` the events and streams it reads.
    func recoverAbandoned(
        actorId: String, organization: String?, work: inout RecoveryWork
    ) throws(PlatformError) -> [JobStatus] {
        let cursor = organization.map { "platform.recovery." + $0 } ?? Self.allOrganizationsRecoveryCursor
        let scan = try openExecutions(organization: organization, cursor: cursor, work: &work)
        let open = scan.open.values.sorted { $0.firstOffset < $1.firstOffset }
        var abandoned: [JobStatus] = []
        for status in open where !isAlive(status) {
            guard try recordAbandoned(status, actorId: actorId) else { continue }
            var recorded = status
            recorded.state = .abandoned
            abandoned.append(recorded)
        }
        // Everything before the oldest execution still open is settled now (the abandoned ones recorded), and the
        // checkpoint lists those open past it.
        let stillOpen = open.filter { status in !abandoned.contains { $0.id == status.id } }
        try recordCheckpoint(of: scan, stillOpen: stillOpen, actorId: actorId, organization: organization)
        try settle(cursor, through: stillOpen.map { $0.firstOffset - 1 }.min() ?? scan.head, scan: scan)
        return abandoned
    }

    /// Moves recovery cursor `name` forward through `offset`, unless it was reset or deleted since `scan` read it
    /// (`annals cursors reset`): the next start then reads from where it was put, instead of this recovery undoing
    /// that.
    func settle(_ name: String, through offset: UInt64, scan: RecoveryScan) throws(PlatformError) {
        do {
            try store.acknowledge(name, through: offset, expectingResets: scan.cursorResets)
        } catch .cursorMoved {
            return
        } catch {
            throw .store(error)
        }
    }

    /// Appends `plugin_action_abandoned` for `status`, at `version` of its stream (by default the version it has
    /// now), with `reason` (by default: its process stopped before the execution recorded an outcome).
    /// - Returns: Whether it was recorded: `false` when the execution recorded its outcome meanwhile (or, with a
    ///   `version`, anything else did: a cancellation, say).
    func recordAbandoned(
        _ status: JobStatus, reason: String? = nil, atVersion expected: UInt64? = nil, actorId: String
    ) throws(PlatformError) -> Bool {
        let stream = ExecutionEventType.stream(status.id)
        do {
            let version: UInt64
            if let expected { version = expected } else { version = try store.version(of: stream) }
            _ = try store.appendAndWait([
                NewEvent(
                    type: ExecutionEventType.abandoned, actorId: actorId, targetId: stream,
                    groupId: status.organization,
                    metadata: [
                        "correlationId": .string(status.id), "plugin": .string(status.plugin),
                        "action": .string(status.action), "previousState": .string(status.state.rawValue),
                        "reason": .string(
                            reason
                                ?? "process \(status.pid.map(String.init) ?? "?") on \(status.hostname ?? "?") "
                                + "stopped before the execution recorded an outcome"),
                    ],
                    expectedVersion: version)
            ])
            return true
        } catch .versionConflict {
            return false  // it recorded its outcome meanwhile
        } catch {
            throw .store(error)
        }
    }
}
