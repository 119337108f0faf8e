import Annals
import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import AnnalsPlatform

@Suite("Recovery of abandoned executions reads the open ones, not every one after them")
struct PluginRecoveryCostTests {
    @Test("with one execution left open, a start reads as much after 40 finished executions as after 440")
    func workDoesNotGrowWithFinishedExecutions() async throws {
        try await withBareRuntime { runtime in
            try await appendFinished(runtime.store, count: 1)
            // Of another host: never recovered here, so it holds the recovery cursor where it begins.
            let open = try await appendInitiated(runtime.store, pid: 1, hostname: "elsewhere.invalid")
            try await appendFinished(runtime.store, count: 40)
            var work = RecoveryWork()
            #expect(try runtime.recoverAbandoned(actorId: "host", organization: "acme", work: &work).isEmpty)
            #expect(work == RecoveryWork(eventsRead: 42, streamsRead: 42))
            let afterFew = try recoveryWork(runtime)

            try await appendFinished(runtime.store, count: 400)
            work = RecoveryWork()
            _ = try runtime.recoverAbandoned(actorId: "host", organization: "acme", work: &work)
            // The checkpoint, the open execution, and the 400 since the last start.
            #expect(work == RecoveryWork(eventsRead: 401, streamsRead: 401))
            let afterMany = try recoveryWork(runtime)

            // The checkpoint and the open execution's stream: nothing of the finished ones.
            #expect(afterFew == RecoveryWork(eventsRead: 1, streamsRead: 1))
            #expect(afterMany == afterFew)
            #expect(try runtime.job(open)?.state == .running)
            let cursor = try #require(try runtime.store.cursor(named: "platform.recovery.acme"))
            #expect(cursor.offset < (try #require(try runtime.job(open)).firstOffset))

            // A cursor moved back leaves the checkpoint aside: everything after it is read again.
            try runtime.store.resetCursor("platform.recovery.acme", to: 0)
            work = RecoveryWork()
            #expect(try runtime.recoverAbandoned(actorId: "host", organization: "acme", work: &work).isEmpty)
            #expect(work == RecoveryWork(eventsRead: 443, streamsRead: 442))
            #expect(try recoveryWork(runtime) == RecoveryWork(eventsRead: 1, streamsRead: 1))
        }
    }

    @Test("an execution a checkpoint lists open is recovered once its process dies, as one begun after it")
    func checkpointedExecutionIsRecovered() async throws {
        try await withBareRuntime { runtime in
            // Only the kill ends it, however slow the host.
            let sleeper = try SpawnedProcess.start("/bin/sleep", ["3600"])
            defer {
                sleeper.kill(SIGKILL)
                sleeper.waitForExit()
            }
            let running = try await appendInitiated(
                runtime.store, pid: sleeper.pid, hostname: PluginRuntime.hostName)
            try await appendFinished(runtime.store, count: RecoveryCheckpoint.minimumReadToRecord)
            #expect(try runtime.recoverAbandoned(actorId: "host", organization: "acme").isEmpty)
            #expect(try recoveryWork(runtime) == RecoveryWork(eventsRead: 1, streamsRead: 1))

            // A process that has exited, and one that is killed: both executions are found.
            let exited = try SpawnedProcess.start("/bin/true")
            exited.waitForExit()
            let later = try await appendInitiated(
                runtime.store, pid: exited.pid, hostname: PluginRuntime.hostName)
            sleeper.kill(SIGKILL)
            sleeper.waitForExit()
            let recovered = try runtime.recoverAbandoned(actorId: "host", organization: "acme")
            #expect(Set(recovered.map(\.id)) == [running, later])
            #expect(try runtime.job(running)?.state == .abandoned)
            #expect(try runtime.job(later)?.state == .abandoned)
            #expect(try runtime.recoverAbandoned(actorId: "host", organization: "acme").isEmpty)
            #expect(try runtime.store.cursor(named: "platform.recovery.acme")?.offset == runtime.store.head().offset)
        }
    }

    @Test("the recovery of every organization and that of an organization named 'all' keep separate cursors")
    func everyOrganizationHasACursorOfItsOwn() async throws {
        try await withBareRuntime { runtime in
            try await appendFinished(runtime.store, count: 1)
            let open = try await appendInitiated(runtime.store, pid: 1, hostname: "elsewhere.invalid")
            try await appendFinished(runtime.store, count: 1)
            let head = try runtime.store.head().offset
            #expect(try runtime.recoverAbandoned(actorId: "host", organization: "all").isEmpty)
            #expect(try runtime.recoverAbandoned(actorId: "host").isEmpty)
            let first = try #require(try runtime.job(open)).firstOffset
            // `all` has no execution: its recovery settles the whole log; every organization's stops before acme's.
            #expect(try runtime.store.cursor(named: "platform.recovery.all")?.offset == head)
            #expect(try runtime.store.cursor(named: PluginRuntime.allOrganizationsRecoveryCursor)?.offset == first - 1)
            #expect(try runtime.recoverAbandoned(actorId: "host", organization: "all").isEmpty)
            #expect(try runtime.store.cursor(named: PluginRuntime.allOrganizationsRecoveryCursor)?.offset == first - 1)
        }
    }

    @Test("a recovery does not undo a reset of its cursor made while it ran")
    func keepsAResetMadeMeanwhile() async throws {
        try await withBareRuntime { runtime in
            try await appendFinished(runtime.store, count: 3)
            _ = try runtime.recoverAbandoned(actorId: "host", organization: "acme")
            let name = "platform.recovery.acme"
            let head = try runtime.store.head().offset
            try #require(try runtime.store.cursor(named: name)?.offset == head)
            try await appendFinished(runtime.store, count: 1)
            var work = RecoveryWork()
            let scan = try runtime.openExecutions(organization: "acme", cursor: name, work: &work)
            try runtime.store.resetCursor(name, to: 2)
            try runtime.settle(name, through: scan.head, scan: scan)
            #expect(try runtime.store.cursor(named: name)?.offset == 2, "the reset stands")
            // Without a reset meanwhile, it moves on.
            let next = try runtime.openExecutions(organization: "acme", cursor: name, work: &work)
            try runtime.settle(name, through: next.head, scan: next)
            #expect(try runtime.store.cursor(named: name)?.offset == next.head)
        }
    }

    /// A recovery's work (its findings are checked elsewhere).
    private func recoveryWork(_ runtime: PluginRuntime) throws -> RecoveryWork {
        var work = RecoveryWork()
        _ = try runtime.recoverAbandoned(actorId: "host", organization: "acme", work: &work)
        return work
    }

    /// Appends the `plugin_action_initiated` of an execution in `acme` run by process `pid` on `hostname`, and
    /// returns its id.
    private func appendInitiated(_ store: EventStore, pid: Int32, hostname: String) async throws -> String {
        let id = UUID().lowercasedString
        _ = try await store.append(initiatedEvent(id, pid: pid, hostname: hostname))
        return id
    }

    /// Appends `count` executions in `acme` that ran and succeeded.
    private func appendFinished(_ store: EventStore, count: Int) async throws {
        var events: [NewEvent] = []
        for _ in 0..<count {
            let id = UUID().lowercasedString
            events.append(initiatedEvent(id, pid: 1, hostname: "elsewhere.invalid"))
            events.append(
                NewEvent(
                    type: ExecutionEventType.executed, actorId: "ana", targetId: ExecutionEventType.stream(id),
                    groupId: "acme", metadata: ["correlationId": .string(id)], expectedVersion: 1))
        }
        _ = try await store.append(contentsOf: events)
    }
}
