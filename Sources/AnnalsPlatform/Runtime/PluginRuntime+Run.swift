import Annals
import AnnalsSandbox
import Crypto
import Dispatch
import Foundation

extension PluginRuntime {
    /// Runs `action` of the plugin installed as `name` in `organization`, synchronously for the caller: appends
    /// `plugin_action_initiated`, runs the action in the sandbox, appends the outcome, and returns it.
    /// - Parameters:
    ///   - input: The action's input, a JSON text.
    ///   - limits: The execution's limits (default: the runtime's); its module is checked for them.
    ///   - cancellation: Cancels the execution from another task or thread (its outcome is `cancelled`).
    /// - Returns: The outcome; a failed execution is an outcome too (``ExecutionOutcome/failure``), not a throw.
    ///   So is a module refused before it could start (its artifact missing or tampered with, or the module check
    ///   refusing it): recorded as an execution that failed with ``SandboxFailure/Kind/moduleRefused``, so the audit
    ///   trail has every attempt to run a plugin.
    /// - Throws: ``PlatformError`` when the execution cannot start for another reason, and records nothing then:
    ///   not installed, an action the installed release does not declare
    ///   (``PlatformError/actionNotDeclared(plugin:version:action:declared:)``: the manifest's actions are the
    ///   contract, whatever the module exports), a declared action its module does not export, input that is not
    ///   JSON, or the store failing.
    public func run(
        _ name: String, action: String, organization: String, input: String, actorId: String,
        limits: SandboxLimits? = nil, cancellation: CancellationToken? = nil
    ) async throws(PlatformError) -> ExecutionOutcome {
        let id = UUID().lowercasedString
        let limits = limits ?? defaultLimits
        let prepared: PreparedExecution
        do {
            prepared = try prepare(name, action: action, organization: organization, input: input, limits: limits)
        } catch {
            return try await recordRefusal(
                of: error, name, action: action, organization: organization, input: Array(input.utf8), id: id,
                actorId: actorId, limits: limits, trigger: ["kind": "run"])
        }
        // `plugin jobs` lists this execution while it runs, and `plugin cancel` (from any process) records a request
        // for it: watched as a job's is, and stopping it with `cancelled`.
        let token = cancellation ?? CancellationToken()
        let watcher = watchCancellation(of: id, token)
        defer { watcher.cancel() }
        return try await execute(
            prepared, id: id, actorId: actorId, limits: limits, cancellation: token, trigger: ["kind": "run"],
            streamVersion: 0)
    }

    /// ``prepare(_:action:organization:input:limits:)`` for a job: a module refused before it could start is recorded
    /// as a failed execution (``recordRefusal``) before the error is thrown, so the audit trail has the attempt.
    func preparingJob(
        _ name: String, action: String, organization: String, input: String, id: String, actorId: String,
        limits: SandboxLimits
    ) async throws(PlatformError) -> PreparedExecution {
        do {
            return try prepare(name, action: action, organization: organization, input: input, limits: limits)
        } catch {
            _ = try await recordRefusal(
                of: error, name, action: action, organization: organization, input: Array(input.utf8), id: id,
                actorId: actorId, limits: limits, trigger: ["kind": "job"])
            throw error
        }
    }

    /// Records an execution of `action` of `name` whose module was refused before it started (`error` is
    /// ``PlatformError/moduleRefused(plugin:version:reason:)``): `plugin_action_initiated`, then `plugin_action_failed`
    /// with `moduleRefused`, appended together (a refused execution never runs, so it is never left open). Any other
    /// `error` is thrown as it is: nothing was attempted.
    /// - Parameters:
    ///   - streamVersion: The version of the execution's stream the two events follow: 0 for a new execution, 1 for
    ///     a queued job refused by its runner (after its `plugin_job_queued`).
    ///   - id: The execution's id: random for `run` and jobs; for event delivery, derived from what was attempted
    ///     (``PluginDispatcher``), with `idempotent`.
    ///   - idempotent: Whether the two events carry client ids derived from `id` (``refusalEventID(_:type:)``), so
    ///     that recording the refusal of the same `id` again writes nothing and returns the original offsets.
    func recordRefusal(
        of error: PlatformError, _ name: String, action: String, organization: String, input: [UInt8], id: String,
        actorId: String, limits: SandboxLimits, trigger: JSONValue, idempotent: Bool = false, streamVersion: UInt64 = 0
    ) async throws(PlatformError) -> ExecutionOutcome {
        guard case .moduleRefused(_, _, let reason) = error else { throw error }
        let (install, release) = try installed(name, organization: organization)
        var initiated = initiatedEvent(
            install: install, grants: install.effectiveGrants(for: release), action: action, input: input, id: id,
            actorId: actorId, limits: limits, trigger: trigger, streamVersion: streamVersion)
        var outcome = ExecutionOutcome(
            id: id, plugin: install.name, version: install.version.description, action: action,
            organization: install.organization, output: nil,
            failure: SandboxFailure(.moduleRefused, reason, action: action), usage: ResourceUsage(),
            initiatedOffset: 0, outcomeOffset: 0)
        var failed = outcomeEvent(outcome, actorId: actorId, streamVersion: streamVersion + 1)
        if idempotent {
            initiated.id = Self.refusalEventID(id, type: initiated.type)
            failed.id = Self.refusalEventID(id, type: failed.type)
        }
        do throws(AnnalsError) {
            // Recorded already (a dispatcher polling a broken plugin finds it on every pass): read, not a write
            // through the writer thread that would return the same receipts.
            let offsets: [UInt64]
            if idempotent, let recorded = try recordedOffsets([initiated, failed]) {
                offsets = recorded
            } else {
                offsets = try await store.append(contentsOf: [initiated, failed]).map(\.offset)
            }
            outcome.initiatedOffset = offsets[0]
            outcome.outcomeOffset = offsets[1]
            return outcome
        } catch {
            throw .store(error)
        }
    }

    /// The offsets of `events` if every one of them, by its client id, is in the log already; else `nil`.
    private func recordedOffsets(_ events: [NewEvent]) throws(AnnalsError) -> [UInt64]? {
        var offsets: [UInt64] = []
        for event in events {
            guard let id = event.id, let recorded = try store.event(id: id) else { return nil }
            offsets.append(recorded.offset)
        }
        return offsets
    }

    /// The client id of the event of type `type` recording the refused execution `id`: a name-based UUID
    /// (`UUID(naming:)`) of a name no other id of the platform is derived from.
    static func refusalEventID(_ id: String, type: String) -> UUID {
        UUID(naming: ["refused-execution-event", id, type])
    }

    /// An execution checked and ready to start.
    struct PreparedExecution: Sendable {
        var install: PluginInstall
        var release: PluginRelease
        var module: PluginModule
        var action: String
        var input: [UInt8]
        var grants: Set<Capability>
    }

    /// Checks that `action` of `name` can run in `organization` with `input` under `limits`: `input` is JSON, the
    /// plugin is installed, its installed release declares `action`
    /// (``PlatformError/actionNotDeclared(plugin:version:action:declared:)`` otherwise, before the module is loaded),
    /// and its module loads, passes the check for executions with `limits` (``module(for:plugin:executionLimits:)``)
    /// and exports it.
    func prepare(
        _ name: String, action: String, organization: String, input: String, limits: SandboxLimits
    ) throws(PlatformError) -> PreparedExecution {
        let bytes = Array(input.utf8)
        do {
            _ = try JSONParser.parse(bytes)
        } catch {
            throw .invalidArgument("the input is not JSON: \(error)")
        }
        let (install, release) = try installed(name, organization: organization)
        // The manifest's actions are the contract: an export the release does not declare never runs, and the
        // module is not even loaded for it.
        guard release.actions.contains(where: { $0.name == action }) else {
            throw .actionNotDeclared(
                plugin: name, version: install.version.description, action: action,
                declared: release.actions.map(\.name))
        }
        let module = try module(for: release, plugin: name, executionLimits: limits)
        guard module.actions.contains(action) else {
            throw .notFound(
                "\(name)@\(install.version) has no action '\(action)' (it has: \(module.actions.joined(separator: ", ")))"
            )
        }
        // Only what the installed release asks for: a grant kept from another version does not reach this code.
        var grants: Set<Capability> = []
        for grant in install.effectiveGrants(for: release) {
            if let capability = try? Capability(parsing: grant) { grants.insert(capability) }
        }
        return PreparedExecution(
            install: install, release: release, module: module, action: action, input: bytes, grants: grants)
    }

    /// Appends `plugin_action_initiated` (at stream version `streamVersion`), runs the execution on a thread of its
    /// own (never on the caller's task), and appends its outcome.
    /// - Parameter triggerDepth: The cascade depth of the event that triggered the execution
    ///   (``PlatformPluginHost/cascadeDepth(of:)``), 0 when no event did.
    func execute(
        _ prepared: PreparedExecution, id: String, actorId: String, limits: SandboxLimits,
        cancellation: CancellationToken?, trigger: JSONValue, streamVersion: UInt64, triggerDepth: Int = 0
    ) async throws(PlatformError) -> ExecutionOutcome {
        jobs.withLock { _ = $0.active.insert(id) }
        defer { jobs.withLock { _ = $0.active.remove(id) } }
        let start = try await append(
            initiatedEvent(
                prepared, id: id, actorId: actorId, limits: limits, trigger: trigger, streamVersion: streamVersion))
        var outcome = await invokeAll(
            prepared, [(id, prepared.input, triggerDepth)], limits: limits, cancellation: cancellation)[0]
        outcome.initiatedOffset = start
        outcome.outcomeOffset = try await append(
            outcomeEvent(outcome, actorId: actorId, streamVersion: streamVersion + 1))
        return outcome
    }

    /// The `plugin_action_initiated` event of an execution.
    func initiatedEvent(
        _ prepared: PreparedExecution, id: String, actorId: String, limits: SandboxLimits, trigger: JSONValue,
        streamVersion: UInt64
    ) -> NewEvent {
        initiatedEvent(
            install: prepared.install, grants: prepared.install.effectiveGrants(for: prepared.release),
            action: prepared.action, input: prepared.input, id: id, actorId: actorId, limits: limits,
            trigger: trigger, streamVersion: streamVersion)
    }

    /// The `plugin_action_initiated` event of an execution of `action` of `install` with `input`, recording `grants`:
    /// those the execution may use (``PluginInstall/effectiveGrants(for:)``).
    func initiatedEvent(
        install: PluginInstall, grants: [String], action: String, input: [UInt8], id: String, actorId: String,
        limits: SandboxLimits, trigger: JSONValue, streamVersion: UInt64
    ) -> NewEvent {
        let metadata: JSONValue = [
            "correlationId": .string(id), "plugin": .string(install.name),
            "version": .string(install.version.description), "action": .string(action),
            "input": ["sha256": .string(Self.sha256(input)), "bytes": .integer(input.count)],
            "limits": [
                "fuel": .integer(limits.fuel), "memoryPages": .integer(limits.maxMemoryPages),
                "timeoutMs": .double(limits.timeout.milliseconds), "outputBytes": .integer(limits.maxOutputBytes),
                "writes": .integer(writeLimits.maxWrites), "writeBytes": .integer(writeLimits.maxBytes),
                "kvStateBytes": .integer(writeLimits.maxKVStateBytes), "cascadeLimit": .integer(cascadeLimit),
            ],
            "grants": .array(grants.map(JSONValue.string)), "trigger": trigger,
            "host": ["pid": .integer(getpid()), "hostname": .string(PluginRuntime.hostName)],
        ]
        return NewEvent(
            type: ExecutionEventType.initiated, actorId: actorId, targetId: ExecutionEventType.stream(id),
            groupId: install.organization, metadata: metadata, expectedVersion: streamVersion)
    }

    /// Runs several executions of one prepared action, one after the other on one dispatch thread (a single hop
    /// for a whole batch of event deliveries), stopping after the first failure. Each run has its own host, and
    /// the cascade depth of the event that triggered it (0 when none did).
    /// - Returns: The outcomes, in order: all of them, or up to and including the first failure.
    func invokeAll(
        _ prepared: PreparedExecution, _ runs: [(id: String, input: [UInt8], triggerDepth: Int)],
        limits: SandboxLimits, cancellation: CancellationToken? = nil
    ) async -> [ExecutionOutcome] {
        let (store, secrets, sandbox) = (self.store, self.secrets, self.sandbox)
        let (cascadeLimit, writeLimits) = (self.cascadeLimit, self.writeLimits)
        return await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                var outcomes: [ExecutionOutcome] = []
                for (id, input, triggerDepth) in runs {
                    let install = prepared.install
                    let host = PlatformPluginHost(
                        store: store, secrets: secrets, organization: install.organization, plugin: install.name,
                        correlationId: id, triggerDepth: triggerDepth, cascadeLimit: cascadeLimit,
                        writeLimits: writeLimits)
                    let result = Result { () throws(SandboxFailure) in
                        let invocation = try sandbox.invoke(
                            module: prepared.module, action: prepared.action, input: input, grants: prepared.grants,
                            host: host, limits: limits, cancellation: cancellation)
                        try Self.checkStorable(invocation)
                        return invocation
                    }
                    outcomes.append(
                        ExecutionOutcome(
                            id: id, plugin: install.name, version: install.version.description,
                            action: prepared.action, organization: install.organization,
                            output: try? result.get().output, failure: result.failure,
                            usage: (try? result.get().usage) ?? result.failure?.usage ?? ResourceUsage(),
                            initiatedOffset: 0, outcomeOffset: 0, secretsRead: host.secretsRead))
                    if result.failure != nil { break }
                }
                continuation.resume(returning: outcomes)
            }
        }
    }

    /// Refuses an output the store's parser would not take back (a duplicate key; the sandbox checks JSON syntax,
    /// depth and surrogates itself) as `invalidOutput`: the audit trail records every result as its value.
    static func checkStorable(_ invocation: InvocationResult) throws(SandboxFailure) {
        do {
            _ = try JSONParser.parse(invocation.output)
        } catch {
            throw SandboxFailure(
                .invalidOutput, "the output is not JSON the store accepts: \(error)", usage: invocation.usage)
        }
    }

    /// The outcome event of an execution: `plugin_action_executed` or `plugin_action_failed`.
    func outcomeEvent(_ outcome: ExecutionOutcome, actorId: String, streamVersion: UInt64) -> NewEvent {
        var metadata: [String: JSONValue] = [
            "correlationId": .string(outcome.id), "plugin": .string(outcome.plugin),
            "version": .string(outcome.version), "action": .string(outcome.action),
            "durationMs": .double(outcome.usage.duration.milliseconds), "fuelUsed": .integer(outcome.usage.fuelUsed),
            "peakMemoryBytes": .integer(outcome.usage.peakMemoryBytes),
            "secretsRead": .array(outcome.secretsRead.map(JSONValue.string)),
        ]
        if let failure = outcome.failure {
            metadata["errorKind"] = .string(failure.kind.rawValue)
            metadata["error"] = .string(ExecutionEvents.recordable(failure.message))
        } else if let output = outcome.output {
            metadata["output"] = ["sha256": .string(Self.sha256(output)), "bytes": .integer(output.count)]
            // Up to 64 KiB, and nested so that the event's metadata (one level above it) is within what an append
            // accepts: otherwise the outcome could not be recorded at all.
            if output.count <= 65_536, let value = try? JSONParser.parse(output),
                Self.nestingDepth(of: value) < Self.maximumResultDepth
            {
                metadata["result"] = value
            }
        }
        return NewEvent(
            type: outcome.failure == nil ? ExecutionEventType.executed : ExecutionEventType.failed, actorId: actorId,
            targetId: ExecutionEventType.stream(outcome.id), groupId: outcome.organization,
            metadata: .object(metadata), expectedVersion: streamVersion)
    }

    /// The deepest `result` an outcome records: one level less than an event's metadata may nest (127 levels).
    static let maximumResultDepth = 127

    /// How many levels of arrays and objects `value` nests (0 for a scalar).
    static func nestingDepth(of value: JSONValue) -> Int {
        switch value {
        case .array(let elements): 1 + (elements.map(nestingDepth).max() ?? 0)
        case .object(let members): 1 + (members.values.map(nestingDepth).max() ?? 0)
        case .null, .bool, .number, .string: 0
        }
    }

    /// Appends one event and returns its offset.
    func append(_ event: NewEvent) async throws(PlatformError) -> UInt64 {
        do {
            return try await store.append(event).offset
        } catch {
            throw .store(error)
        }
    }

    /// The SHA-256 of `bytes` in hex.
    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).hexadecimal
    }
}

extension Result {
    /// The failure, or `nil` on success.
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
