import Annals
import AnnalsSandbox
import Foundation

extension PluginRuntime {
    /// Runs a job queued by another process (what `annals plugin run --async` starts in the background): waits
    /// for a free slot of its organization (one of ``jobConcurrency`` lock files beside the store, ``JobSlots``,
    /// which jobs of every process on the store hold while they run) and for the jobs queued before it to start
    /// (holding a ticket in the organization's ``JobSlotQueue`` meanwhile), watches for a cancellation request, runs
    /// it, records the outcome and frees the slot (as the end of this process would, however it ends).
    ///
    /// The job runs under the limits its `plugin_job_queued` records (fuel, memory pages, timeout, output bytes),
    /// not this runtime's ``defaultLimits``, and its module is checked for them, before it waits and (if it had to
    /// wait) again once it has its slot: it runs the release its organization has installed then. A module refused
    /// here (its artifact removed or replaced since the job was queued, or the check refusing it) is recorded as the
    /// job's execution, failed with ``SandboxFailure/Kind/moduleRefused``, as
    /// ``run(_:action:organization:input:actorId:limits:cancellation:)`` records one, without waiting for a slot.
    /// - Returns: The outcome (a refused module's too), or `nil` when the job was cancelled (or had already ended)
    ///   before it started.
    /// - Throws: ``PlatformError``; ``PlatformError/store(_:)`` wrapping ``AnnalsError/io(_:)`` when the slots' or
    ///   the queue's files cannot be created, opened or locked.
    public func runQueuedJob(_ id: String, actorId: String) async throws(PlatformError) -> ExecutionOutcome? {
        // The queued event may still be on its way from the process that started this one.
        var status: JobStatus?
        for _ in 0..<200 {
            status = try job(id)
            if status != nil { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        guard let status, status.state == .queued else { return nil }
        let queued: RecordedEvent
        do {
            guard let first = try store.stream(ExecutionEventType.stream(id)).collect().first else { return nil }
            queued = first
        } catch {
            throw .store(error)
        }
        let metadata = queued.metadata
        let input = metadata["input"].map { String(decoding: $0.canonicalBytes, as: UTF8.self) } ?? "null"
        // The limits it was queued with, those of the process that queued it: the module is checked for them, and
        // the execution runs under them, whatever this process's defaults.
        let limits = Self.recordedLimits(metadata["limits"], defaults: defaultLimits)
        // Checked before waiting: a job that cannot start ends now, not once a slot is free.
        var prepared: PreparedExecution
        switch try await startingQueuedJob(status, input: input, limits: limits, actorId: actorId) {
        case .ready(let ready): prepared = ready
        case .ended(let outcome): return outcome
        }

        // Wait for the older jobs to start and for a slot (looking every 50 ms: a few opens, whatever the log holds),
        // holding a ticket meanwhile, which goes once a slot is taken, or with the job if it does not start; a
        // cancellation while waiting ends the job before it starts.
        let jobSlots = slots(of: status.organization)
        try jobSlots.createDirectory()
        let ticket = try jobSlots.queue.enter(offset: queued.offset)
        defer { ticket.leave() }
        var slot: JobSlot?
        var waited = false
        while slot == nil {
            // Cancelled by another process (`plugin_job_cancelled`, which `cancel` appends for a queued job).
            guard try job(id)?.state == .queued else { return nil }
            if try cancelRequested(id) {
                _ = try await append(
                    NewEvent(
                        type: ExecutionEventType.jobCancelled, actorId: actorId,
                        targetId: ExecutionEventType.stream(id), groupId: status.organization,
                        metadata: ["correlationId": .string(id)], expectedVersion: 1))
                return nil
            }
            if try jobSlots.queue.isFirst(queued.offset) { slot = try jobSlots.take() }
            if slot == nil {
                waited = true
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        ticket.leave()
        // Freed once the outcome is recorded: the next job starts after this one has ended in the log too.
        defer { slot?.release() }
        // Prepared again if it waited: an update or rollback meanwhile changes what runs, as it does for a job a
        // runtime runs in its own process.
        if waited {
            switch try await startingQueuedJob(status, input: input, limits: limits, actorId: actorId) {
            case .ready(let ready): prepared = ready
            case .ended(let outcome): return outcome
            }
        }
        let token = CancellationToken()
        let watcher = watchCancellation(of: id, token)
        defer { watcher.cancel() }
        do {
            return try await execute(
                prepared, id: id, actorId: actorId, limits: limits, cancellation: token, trigger: ["kind": "job"],
                streamVersion: 1)
        } catch {
            // Cancelled between the last look and the start: its `plugin_action_initiated` was refused.
            if case .store(.versionConflict) = error, try job(id)?.state == .cancelled { return nil }
            throw error
        }
    }

    /// How a queued job starts: prepared from the release its organization has installed now, or ended before it
    /// could run.
    enum QueuedJobStart {
        /// Ready to run.
        case ready(PreparedExecution)
        /// Ended with this outcome (its module refused, recorded as its failed execution), or `nil` when it was
        /// cancelled meanwhile.
        case ended(ExecutionOutcome?)
    }

    /// Prepares queued job `status` to start, from the release its organization has installed when it starts (an
    /// update or rollback since it was queued changes the version, and the grants, it runs with; its
    /// `plugin_action_initiated` records what it runs), checked for the limits it was queued with. Runners and a
    /// runtime's own waiting jobs start this way.
    /// - Throws: what ``prepare(_:action:organization:input:limits:)`` throws when nothing of the plugin can start
    ///   (it is no longer installed, or its installed release no longer declares the action), after recording the
    ///   job as abandoned for that reason, instead of leaving it queued for a recovery to say its runner stopped
    ///   (`.ended(nil)` instead when a cancellation was recorded meanwhile).
    func startingQueuedJob(
        _ status: JobStatus, input: String, limits: SandboxLimits, actorId: String
    ) async throws(PlatformError) -> QueuedJobStart {
        do {
            return .ready(
                try prepare(
                    status.plugin, action: status.action, organization: status.organization, input: input,
                    limits: limits))
        } catch {
            guard case .moduleRefused = error else {
                // Right after its `plugin_job_queued`: a cancellation recorded meanwhile stays the job's end.
                guard
                    try recordAbandoned(
                        status, reason: "its runner could not start it: \(error)", atVersion: 1, actorId: actorId)
                else { return .ended(nil) }
                throw error
            }
            // Refused now (its artifact removed or replaced since it was queued, or the module refused): recorded as
            // the job's failed execution, as `run` records it, unless it was cancelled meanwhile.
            do {
                return .ended(
                    try await recordRefusal(
                        of: error, status.plugin, action: status.action, organization: status.organization,
                        input: Array(input.utf8), id: status.id, actorId: actorId, limits: limits,
                        trigger: ["kind": "job"], streamVersion: 1))
            } catch {
                if case .store(.versionConflict) = error, try job(status.id)?.state == .cancelled { return .ended(nil) }
                throw error
            }
        }
    }

    /// The limits recorded in a job's `plugin_job_queued` (`limits`: `fuel`, `memoryPages`, `timeoutMs`,
    /// `outputBytes`), each one missing taken from `defaults`.
    static func recordedLimits(_ recorded: JSONValue?, defaults: SandboxLimits) -> SandboxLimits {
        var limits = defaults
        // The fuel is a UInt64: a budget past Int64.max (`--fuel 18446744073709551615`) is read as what it is.
        if case .number(let text)? = recorded?["fuel"], let fuel = UInt64(text) { limits.fuel = fuel }
        if let timeout = recorded?["timeoutMs"]?.doubleValue { limits.timeout = .milliseconds(Int64(timeout)) }
        if let pages = recorded?["memoryPages"]?.int64Value { limits.maxMemoryPages = Int(pages) }
        if let bytes = recorded?["outputBytes"]?.int64Value { limits.maxOutputBytes = Int(bytes) }
        return limits
    }

    /// Cancels `token` once a cancellation of job `id` is requested (`plugin_job_cancel_requested`, from any
    /// process), checking every 50 ms until the returned task is cancelled.
    func watchCancellation(of id: String, _ token: CancellationToken) -> Task<Void, Never> {
        Task.detached { [self] in
            while !Task.isCancelled {
                if (try? cancelRequested(id)) == true {
                    token.cancel()
                    return
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Whether someone asked to cancel job `id`: a `plugin_job_cancel_requested` event on its cancel stream (any
    /// other event there asks nothing).
    func cancelRequested(_ id: String) throws(PlatformError) -> Bool {
        do {
            let stream = Self.cancelStream(id)
            guard try store.version(of: stream) > 0 else { return false }
            return try store.stream(stream).collect().contains { $0.type == ExecutionEventType.jobCancelRequested }
        } catch {
            throw .store(error)
        }
    }
}

extension PluginRuntime {
    /// Accepts a job that another process will run: `start` starts that process (given the job id) and returns
    /// its process id, which the `plugin_job_queued` event records (so a runner that dies is found by
    /// ``recoverAbandoned(actorId:organization:)``); the process then calls ``runQueuedJob(_:actorId:)``.
    /// - Throws: ``PlatformError`` as ``submit(_:action:organization:input:actorId:limits:)`` throws it, and when
    ///   `start` fails.
    public func submitToProcess(
        _ name: String, action: String, organization: String, input: String, actorId: String,
        limits: SandboxLimits? = nil, start: (String) throws -> Int32
    ) async throws(PlatformError) -> JobTicket {
        let id = UUID().lowercasedString
        let prepared = try await preparingJob(
            name, action: action, organization: organization, input: input, id: id, actorId: actorId,
            limits: limits ?? defaultLimits)
        // The queued event is checked before the runner starts: an input the store would refuse there (one nesting
        // too deep to be kept in the event's metadata, or too large for it) must not leave a runner behind. It is
        // checked with the widest process id, so the runner's own cannot make it larger. Nor must a directory of the
        // job slots that cannot be made: it is made here, where the error can be told.
        _ = try queuedEvent(id, prepared, actorId: actorId, limits: limits ?? defaultLimits, runner: .max)
        try slots(of: prepared.install.organization).createDirectory()
        let runner: Int32
        do {
            runner = try start(id)
        } catch {
            throw PlatformError(error)
        }
        let offset = try await appendQueued(
            id, prepared, actorId: actorId, limits: limits ?? defaultLimits, runner: runner)
        return JobTicket(id: id, queuedOffset: offset)
    }
}
