import Annals
import Foundation

extension PluginRuntime {
    /// Finds executions whose host stopped before they recorded an outcome — a `plugin_action_initiated` (or a
    /// queued job) with no outcome, whose process is no longer alive on this host — and records each as
    /// `plugin_action_abandoned`. Call it when a host starts (`annals plugin run` and `annals plugin jobs` do):
    /// no execution is ever silent, even when the host was killed mid-run.
    ///
    /// Executions of other hosts are left alone (their process cannot be checked from here). The durable cursor
    /// `platform.recovery.ORG` (or `.all`) keeps its place, so each start reads only what came since the oldest
    /// execution still open. The outcome is appended with `expectedVersion`, so an execution that records its own
    /// outcome at the same moment wins.
    /// - Returns: The executions recorded as abandoned.
    @discardableResult
    public func recoverAbandoned(actorId: String, organization: String? = nil) throws(PlatformError) -> [JobStatus] {
        let cursor = "platform.recovery." + (organization ?? "all")
        var query = EventQuery()
        query.types = [ExecutionEventType.jobQueued, ExecutionEventType.initiated]
        query.groupId = organization
        var open: [String: JobStatus] = [:]
        let head: UInt64
        do {
            head = try store.head().offset
            query.from = (try store.cursor(named: cursor)?.offset ?? 0) + 1
            query.to = head
            for event in try store.events(query).collect() {
                guard let id = event.metadata["correlationId"]?.stringValue, open[id] == nil,
                    let status = try job(id), status.state == .running || status.state == .queued
                else { continue }
                open[id] = status
            }
        } catch {
            throw PlatformError(error)
        }
        var abandoned: [JobStatus] = []
        for status in open.values.sorted(by: { $0.firstOffset < $1.firstOffset }) where !isAlive(status) {
            let stream = ExecutionEventType.stream(status.id)
            let version: UInt64
            do {
                version = try store.version(of: stream)
                _ = try store.appendAndWait([
                    NewEvent(
                        type: ExecutionEventType.abandoned, actorId: actorId, targetId: stream,
                        groupId: status.organization,
                        metadata: [
                            "correlationId": .string(status.id), "plugin": .string(status.plugin),
                            "action": .string(status.action), "previousState": .string(status.state.rawValue),
                            "reason": .string(
                                "process \(status.pid.map(String.init) ?? "?") on \(status.hostname ?? "?") stopped "
                                    + "before the execution recorded an outcome"),
                        ],
                        expectedVersion: version)
                ])
            } catch AnnalsError.versionConflict {
                continue  // it recorded its outcome meanwhile
            } catch {
                throw .store(error)
            }
            var recorded = status
            recorded.state = .abandoned
            abandoned.append(recorded)
        }
        // Everything before the oldest execution still running is settled now (the abandoned ones recorded).
        let stillOpen = open.values.filter { status in !abandoned.contains { $0.id == status.id } }
        do {
            try store.acknowledge(cursor, through: stillOpen.map { $0.firstOffset - 1 }.min() ?? head)
        } catch {
            throw .store(error)
        }
        return abandoned
    }
}
