import Annals
import AnnalsSandbox
import Foundation

/// The in-process job queue: per organization, the jobs waiting for a slot (``JobSlots``, shared with the other
/// processes on the store), oldest first.
struct JobTable: Sendable {
    /// A job waiting for its organization's slot.
    struct Waiting: Sendable {
        var id: String
        var prepared: PluginRuntime.PreparedExecution
        var actorId: String
        var limits: SandboxLimits
        /// The offset of its `plugin_job_queued` event: its place in the queue.
        var offset: UInt64
        /// Its place in the queue shared with the other processes (``JobSlotQueue``), held by the oldest waiting job
        /// of its organization in this process only (the others wait behind it anyway), so that a process holds one
        /// ticket's descriptor per organization however many jobs wait; `nil` for the others, and while a ticket
        /// cannot be made (no descriptor left: it waits for the older jobs without holding back the younger ones of
        /// other processes, and is tried again at the next look).
        var ticket: JobSlotTicket? = nil
    }

    var waiting: [String: [Waiting]] = [:]
    /// The organizations whose waiting jobs look for a free slot again shortly (held by other processes when last
    /// looked at).
    var polling: Set<String> = []
    var tokens: [String: CancellationToken] = [:]
    var finished: [String: ExecutionOutcome] = [:]
    /// The executions running in this process (jobs and synchronous runs), by id.
    var active: Set<String> = []
    var waiters: [String: [CheckedContinuation<ExecutionOutcome?, Never>]] = [:]
}

/// A job just accepted.
public struct JobTicket: Sendable, Hashable {
    /// The job id (also the correlation id of its audit events).
    public var id: String
    /// The offset of its `plugin_job_queued` event.
    public var queuedOffset: UInt64

    /// `{"job":ID,"state":"queued","offset":N}`.
    public var json: JSONValue { ["job": .string(id), "state": "queued", "offset": .integer(queuedOffset)] }
}

extension PluginRuntime {
    /// Accepts `action` of `name` as an async job and returns its id at once; it runs in this process when its
    /// organization has a free slot (``jobConcurrency``): the slots are lock files beside the store, shared with the
    /// other processes on it (`annals plugin run --async` runners, other runtimes), so the limit holds across them;
    /// waiting jobs start in the order they were queued, in this process and the others (``JobSlotQueue``). Its
    /// status and result are recorded as events. It runs the release its organization has installed when it takes
    /// its slot, with the grants the install has then (``startingQueuedJob(_:input:limits:actorId:)``), as a runner
    /// runs its job.
    /// - Throws: ``PlatformError`` when it cannot run at all (see ``run(_:action:organization:input:actorId:limits:cancellation:)``);
    ///   a module refused before it could start (``PlatformError/moduleRefused(plugin:version:reason:)``) is
    ///   recorded first, as a failed execution with `moduleRefused`, as `run` records it;
    ///   ``PlatformError/store(_:)`` wrapping ``AnnalsError/io(_:)`` when the directory of the slots cannot be created.
    public func submit(
        _ name: String, action: String, organization: String, input: String, actorId: String,
        limits: SandboxLimits? = nil
    ) async throws(PlatformError) -> JobTicket {
        let id = UUID().lowercasedString
        let limits = limits ?? defaultLimits
        let prepared = try await preparingJob(
            name, action: action, organization: organization, input: input, id: id, actorId: actorId, limits: limits)
        // Their directory is made before anything is recorded: a job is never left queued for want of it.
        try slots(of: prepared.install.organization).createDirectory()
        // Known before the job is recorded: a recovery in this process (``isAlive(_:)``) must never find it queued by
        // this process and unknown to it.
        jobs.withLock { $0.tokens[id] = CancellationToken() }
        let offset: UInt64
        do throws(PlatformError) {
            offset = try await appendQueued(id, prepared, actorId: actorId, limits: limits, runner: getpid())
        } catch {
            jobs.withLock { $0.tokens[id] = nil }
            throw error
        }
        let waiting = JobTable.Waiting(id: id, prepared: prepared, actorId: actorId, limits: limits, offset: offset)
        jobs.withLock { table in
            // In the order of the offsets, which concurrent calls may not reach here in.
            var queue = table.waiting[prepared.install.organization, default: []]
            queue.insert(waiting, at: queue.firstIndex { $0.offset > offset } ?? queue.endIndex)
            table.waiting[prepared.install.organization] = queue
        }
        startWaitingJobs(organization: prepared.install.organization)
        return JobTicket(id: id, queuedOffset: offset)
    }

    /// Appends `plugin_job_queued` for a job that process `runner` will run.
    func appendQueued(
        _ id: String, _ prepared: PreparedExecution, actorId: String, limits: SandboxLimits, runner: Int32
    ) async throws(PlatformError) -> UInt64 {
        try await append(queuedEvent(id, prepared, actorId: actorId, limits: limits, runner: runner))
    }

    /// The `plugin_job_queued` event of job `id`, run by process `runner` (this one's id for a job run in process),
    /// checked as the store will check it (``EventStore/check(_:)``).
    /// - Throws: ``PlatformError/invalidArgument(_:)`` when the store would refuse it: the event keeps the input in
    ///   its metadata, one level down, so an input that nests nearly as deep as JSON may, or one near the store's
    ///   ``StoreOptions/maximumEventSize``, cannot be recorded.
    func queuedEvent(
        _ id: String, _ prepared: PreparedExecution, actorId: String, limits: SandboxLimits, runner: Int32
    ) throws(PlatformError) -> NewEvent {
        let install = prepared.install
        let metadata: JSONValue = [
            "correlationId": .string(id), "plugin": .string(install.name),
            "version": .string(install.version.description), "action": .string(prepared.action),
            "input": (try? JSONParser.parse(prepared.input)) ?? .null,
            "limits": [
                "fuel": .integer(limits.fuel), "memoryPages": .integer(limits.maxMemoryPages),
                "timeoutMs": .double(limits.timeout.milliseconds), "outputBytes": .integer(limits.maxOutputBytes),
            ],
            "host": ["pid": .integer(runner), "hostname": .string(PluginRuntime.hostName)],
        ]
        let event = NewEvent(
            type: ExecutionEventType.jobQueued, actorId: actorId, targetId: ExecutionEventType.stream(id),
            groupId: install.organization, metadata: metadata, expectedVersion: 0)
        do {
            try store.check(event)
        } catch {
            switch error {
            case .invalidEvent(_, let field, let reason):
                throw .invalidArgument("the input cannot be recorded with the job: its event's \(field) \(reason)")
            case .eventTooLarge(_, let size, let limit):
                throw .invalidArgument(
                    "the input cannot be recorded with the job: its event would be \(size) bytes, over the store's "
                        + "limit of \(limit) bytes")
            default:
                throw .store(error)
            }
        }
        return event
    }

    /// The job slots of `organization`: ``jobConcurrency`` of them.
    func slots(of organization: String) -> JobSlots {
        JobSlots(storePath: store.path, organization: organization, count: jobConcurrency)
    }

    /// Starts waiting jobs of `organization`, oldest first, while the oldest is first in the queue shared with the
    /// other processes (``JobSlotQueue``) and a slot is free; while jobs wait for older ones or for a slot (held by
    /// other processes), looks again in 50 ms. Jobs of this process end by calling it again.
    private func startWaitingJobs(organization: String) {
        let jobSlots = slots(of: organization)
        while true {
            holdOldestTicket(organization: organization, queue: jobSlots.queue)
            guard let next = jobs.withLock({ $0.waiting[organization]?.first }) else { return }
            // Cancelled from another process while it waited here (its stream holds more than its queued event): it
            // leaves the queue now, instead of holding back the younger jobs of every process until its turn.
            if ((try? store.version(of: ExecutionEventType.stream(next.id))) ?? 1) > 1 {
                leaveQueue(next.id, organization: organization)
                continue
            }
            // A ticket or slot file that cannot be opened or locked (no descriptor left) is tried again later, as a
            // held one is: nothing here could report it, and the job waits, queued, as it would for a slot.
            guard (try? jobSlots.queue.isFirst(next.offset)) == true, let slot = try? jobSlots.take() else {
                lookAgainForSlots(organization: organization)
                return
            }
            guard
                let (job, token) = jobs.withLock({ table -> (JobTable.Waiting, CancellationToken)? in
                    guard var queue = table.waiting[organization], queue.first?.id == next.id else { return nil }
                    let job = queue.removeFirst()
                    table.waiting[organization] = queue
                    return (job, table.tokens[job.id] ?? CancellationToken())
                })
            else {
                // Cancelled, or started by another call, meanwhile: the next one looks again.
                slot.release()
                continue
            }
            // It holds its slot: the younger jobs no longer wait for it. The next one of this process takes its place
            // first, so that no younger job of another process starts in between.
            holdOldestTicket(organization: organization, queue: jobSlots.queue)
            job.ticket?.leave()
            Task.detached { [self] in
                // A cancellation requested from another process reaches this one through the job's cancel stream.
                let watcher = watchCancellation(of: job.id, token)
                defer { watcher.cancel() }
                // Prepared again from what its organization has installed now, as a runner prepares the job it
                // starts: not the release, module and grants of when it was submitted. `nil` when the job was
                // cancelled by another process before it started (its `plugin_action_initiated` is then refused by
                // its version check), or could not start (recorded as abandoned).
                let outcome: ExecutionOutcome?
                switch try? await startingSubmittedJob(job) {
                case .ready(let prepared)?:
                    outcome = try? await execute(
                        prepared, id: job.id, actorId: job.actorId, limits: job.limits, cancellation: token,
                        trigger: ["kind": "job"], streamVersion: 1)
                case .ended(let ended)?: outcome = ended
                case nil: outcome = nil
                }
                slot.release()
                finish(job.id, organization: organization, outcome: outcome)
            }
        }
    }

    /// ``startingQueuedJob(_:input:limits:actorId:)`` for a job submitted in this process; `.ended(nil)` when it is
    /// no longer queued (cancelled by another process).
    private func startingSubmittedJob(_ job: JobTable.Waiting) async throws(PlatformError) -> QueuedJobStart {
        guard let status = try self.job(job.id), status.state == .queued else { return .ended(nil) }
        return try await startingQueuedJob(
            status, input: String(decoding: job.prepared.input, as: UTF8.self), limits: job.limits,
            actorId: job.actorId)
    }

    /// Gives the oldest waiting job of `organization` in this process its ticket in the queue shared with the other
    /// processes (``JobSlotQueue``), unless it has one. A ticket that cannot be made (no descriptor left) is tried
    /// again at the next look; one made for a job that is no longer the oldest (started, cancelled, or passed by an
    /// older one submitted meanwhile) is left at once.
    private func holdOldestTicket(organization: String, queue: JobSlotQueue) {
        guard let oldest = jobs.withLock({ $0.waiting[organization]?.first }), oldest.ticket == nil,
            let ticket = try? queue.enter(offset: oldest.offset)
        else { return }
        let kept = jobs.withLock { table -> Bool in
            guard var waiting = table.waiting[organization], waiting.first?.id == oldest.id, waiting[0].ticket == nil
            else { return false }
            waiting[0].ticket = ticket
            table.waiting[organization] = waiting
            return true
        }
        if !kept { ticket.leave() }
    }

    /// Takes waiting job `id` of `organization` out of this process's queue, as one that will not start (cancelled
    /// from another process): its ticket passes to the next job, and those waiting for it get `nil`.
    private func leaveQueue(_ id: String, organization: String) {
        dequeue(id, organization: organization)
        let waiters = jobs.withLock { $0.waiters.removeValue(forKey: id) ?? [] }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// Takes waiting job `id` of `organization` out of this process's queue and forgets its cancellation token (if
    /// it is waiting there; a running job keeps its token); its ticket in the shared queue is left once the next job of this process holds its own,
    /// so that no younger job of another process slips in between.
    private func dequeue(_ id: String, organization: String) {
        let left = jobs.withLock { table -> [JobTable.Waiting] in
            let left = table.waiting[organization]?.filter { $0.id == id } ?? []
            // A job not waiting here keeps its token: a running one is stopped through it.
            guard !left.isEmpty else { return left }
            table.waiting[organization]?.removeAll { $0.id == id }
            table.tokens[id] = nil
            return left
        }
        guard !left.isEmpty else { return }
        holdOldestTicket(organization: organization, queue: slots(of: organization).queue)
        for job in left { job.ticket?.leave() }
    }

    /// Calls ``startWaitingJobs(organization:)`` in 50 ms, unless a call is already due.
    private func lookAgainForSlots(organization: String) {
        guard jobs.withLock({ $0.polling.insert(organization).inserted }) else { return }
        Task.detached { [self] in
            try? await Task.sleep(for: .milliseconds(50))
            jobs.withLock { _ = $0.polling.remove(organization) }
            startWaitingJobs(organization: organization)
        }
    }

    /// Records the outcome of a job whose slot was freed, wakes those waiting for it, and starts the next job.
    private func finish(_ id: String, organization: String, outcome: ExecutionOutcome?) {
        let waiters = jobs.withLock { table in
            table.tokens[id] = nil
            if let outcome { table.finished[id] = outcome }
            return table.waiters.removeValue(forKey: id) ?? []
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
        startWaitingJobs(organization: organization)
    }

    /// Waits for a job submitted in this process to end, and returns its outcome (`nil` if it was cancelled
    /// before it started, or is not a job of this process).
    public func wait(forJob id: String) async -> ExecutionOutcome? {
        await withCheckedContinuation { continuation in
            let immediate: ExecutionOutcome?? = jobs.withLock { table in
                if let outcome = table.finished[id] { return .some(outcome) }
                guard table.tokens[id] != nil else { return .some(nil) }
                table.waiters[id, default: []].append(continuation)
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Cancels a job: a queued one is cancelled before it starts (`plugin_job_cancelled`), a running one is
    /// stopped and fails with `cancelled`. Works across processes: a queued job's `plugin_job_cancelled` is appended
    /// at the version of its `plugin_job_queued`, as its `plugin_action_initiated` is, so whichever process holds the
    /// job, either it never starts or it started first and is stopped; a running job is stopped by a request
    /// recorded as an event (`plugin_job_cancel_requested`) that the process running it watches.
    /// - Returns: The job's state after the request: `cancelled` for a queued job, `running` for a running one (it
    ///   fails with `cancelled` once its process has stopped it), or the state of a job that had already ended. A
    ///   running execution of ``run(_:action:organization:input:actorId:limits:cancellation:)`` is stopped the same
    ///   way.
    /// - Throws: ``PlatformError/notFound(_:)`` for an unknown job; ``PlatformError/invalidArgument(_:)`` for a
    ///   running delivery of ``PluginDispatcher``, which cannot be cancelled.
    public func cancel(job id: String, actorId: String) async throws(PlatformError) -> JobStatus.State {
        guard let status = try job(id) else { throw .notFound("no job '\(id)'") }
        guard status.state == .queued || status.state == .running else { return status.state }
        // A dispatch delivery runs in the dispatcher's batch, which watches no requests: one would be recorded and
        // never acted on.
        if status.isDelivery {
            throw .invalidArgument(
                "execution '\(id)' is a delivery of 'plugin dispatch', which cannot be cancelled: stop the dispatcher, "
                    + "or let its time limit end it")
        }
        // Its ticket goes with it, once the next job of this process holds its own: the jobs queued after it no
        // longer wait for it.
        dequeue(id, organization: status.organization)
        if status.state == .queued {
            do {
                _ = try await store.append(
                    NewEvent(
                        type: ExecutionEventType.jobCancelled, actorId: actorId,
                        targetId: ExecutionEventType.stream(id), groupId: status.organization,
                        metadata: ["correlationId": .string(id)], expectedVersion: 1))
                let waiters = jobs.withLock { $0.waiters.removeValue(forKey: id) ?? [] }
                for waiter in waiters { waiter.resume(returning: nil) }
                return .cancelled
            } catch AnnalsError.versionConflict {
                // It started meanwhile (or another cancel recorded it): stop it as a running job.
                guard let now = try job(id), now.state == .running else { return try job(id)?.state ?? .cancelled }
            } catch {
                throw .store(error)
            }
        }
        jobs.withLock { $0.tokens[id] }?.cancel()
        _ = try await append(
            NewEvent(
                type: ExecutionEventType.jobCancelRequested, actorId: actorId, targetId: Self.cancelStream(id),
                groupId: status.organization, metadata: ["correlationId": .string(id)]))
        return .running
    }

    /// The stream where cancellation requests of job `id` are recorded (separate from the execution's stream,
    /// whose versions order its lifecycle).
    static func cancelStream(_ id: String) -> String { "job-cancel:\(id)" }

    /// The status of job (or execution) `id`, or `nil` when there is none.
    public func job(_ id: String) throws(PlatformError) -> JobStatus? {
        do {
            var status: JobStatus?
            for event in try store.stream(ExecutionEventType.stream(id)).collect() {
                if status == nil { status = JobStatus(first: event) } else { status?.apply(event) }
            }
            return status
        } catch {
            throw .store(error)
        }
    }

    /// The executions of `organization` (every organization when `nil`), newest first, at most `limit`.
    public func jobs(organization: String? = nil, limit: Int = 100) throws(PlatformError) -> [JobStatus] {
        var query = EventQuery()
        query.types = [ExecutionEventType.jobQueued, ExecutionEventType.initiated]
        query.groupId = organization
        query.reverse = true
        query.limit = limit * 2
        var seen: Set<String> = []
        var result: [JobStatus] = []
        do {
            for event in try store.events(query).collect() where result.count < limit {
                guard let id = event.metadata["correlationId"]?.stringValue, seen.insert(id).inserted,
                    let status = try job(id)
                else { continue }
                result.append(status)
            }
        } catch {
            throw PlatformError(error)
        }
        return result
    }

    /// Whether the process running an execution is alive (on this host; a job of another host counts as alive). A
    /// process that exited but was not yet waited for, a zombie, is not (``ProcessLiveness/isRunning(_:)``), nor is
    /// a recorded pid that no process can have (0, negative, or past `pid_t`): `kill` would read 0 and -1 as process
    /// groups, and converting a larger one would trap.
    func isAlive(_ status: JobStatus) -> Bool {
        guard let pid = status.pid, status.hostname == nil || status.hostname == PluginRuntime.hostName
        else { return true }
        if pid == Int64(getpid()) {
            return jobs.withLock { $0.tokens[status.id] != nil || $0.active.contains(status.id) }
        }
        guard let process = pid_t(exactly: pid), process > 0 else { return false }
        return ProcessLiveness.isRunning(process)
    }
}
