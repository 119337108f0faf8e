#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A pool of at most `count` worker processes, started on demand; a worker that dies or is killed is discarded
/// and the next execution starts a replacement.
final class WorkerPool: @unchecked Sendable {
    let executable: String
    let count: Int
    /// How long after the execution's own timeout the parent waits before killing the worker.
    static let hardTimeoutGrace: UInt64 = 500_000_000

    private let lock = ConditionLock()
    private var idle: [WorkerProcess] = []
    private var live = 0

    init(executable: String, count: Int) {
        self.executable = executable
        self.count = count
    }

    deinit {
        for worker in idle { worker.stop() }
    }

    /// How often an execution waiting for a free worker checks whether it was cancelled.
    private static let cancellationPoll: UInt64 = 20_000_000

    /// A worker for one execution: an idle one, a new one while fewer than `count` live, or the next one released.
    /// - Throws: ``SandboxFailure/Kind/cancelled`` when `cancellation` is cancelled while it waits for one (checked
    ///   every 20 ms); a failure to start a worker.
    private func acquire(_ action: String, cancellation: CancellationToken?) throws(SandboxFailure) -> WorkerProcess {
        enum Place {
            case idle(WorkerProcess)
            case new
            case cancelled
        }
        let place: Place = lock.withLock {
            while idle.isEmpty && live >= count {
                if cancellation?.isCancelled == true { return .cancelled }
                lock.wait(until: cancellation == nil ? nil : monotonicNow() &+ Self.cancellationPoll)
            }
            if let worker = idle.popLast() { return .idle(worker) }
            live += 1
            return .new
        }
        switch place {
        case .idle(let worker): return worker
        case .cancelled:
            throw SandboxFailure(.cancelled, "cancelled while it waited for a free worker process", action: action)
        case .new: break
        }
        do {
            return try WorkerProcess.start(executable: executable)
        } catch {
            release(nil)
            throw error
        }
    }

    /// Returns a healthy worker to the pool, or (with `nil`) frees the place of a discarded one.
    private func release(_ worker: WorkerProcess?) {
        lock.withLock {
            if let worker { idle.append(worker) } else { live -= 1 }
            lock.signal()
        }
    }

    func invoke(
        module: PluginModule, action: String, input: [UInt8], grants: Set<Capability>, host: any PluginHost,
        limits: SandboxLimits, cancellation: CancellationToken?
    ) throws(SandboxFailure) -> InvocationResult {
        // A module whose initial memory is past the limit could not even be loaded by the worker (whose address
        // space is limited too), which would report that as a trap: it is the memory limit.
        if module.initialMemoryPages > limits.maxMemoryPages {
            throw SandboxFailure(
                .memoryLimit,
                "the module's initial memory is \(module.initialMemoryPages) pages, more than the limit of "
                    + "\(limits.maxMemoryPages)",
                action: action)
        }
        // The time limit is the execution's: it starts once a worker is free, not while others still run.
        let worker = try acquire(action, cancellation: cancellation)
        let started = monotonicNow()
        let cancelled = CancelFlag()
        let handler = cancellation?.addHandler {
            cancelled.set()
            worker.kill()
        }
        defer { cancellation?.removeHandler(handler) }
        let call = WorkerCall(worker: worker, host: host, grants: grants)
        let deadline = started &+ min(nanoseconds(limits.timeout), UInt64.max / 2) &+ Self.hardTimeoutGrace
        let outcome: Result<InvocationResult, SandboxFailure>
        do {
            outcome = try call.run(module: module, action: action, input: input, limits: limits, deadline: deadline)
        } catch {
            worker.kill()
            let ending = worker.reap()
            release(nil)
            let usage = ResourceUsage(duration: .nanoseconds(Int64(monotonicNow() &- started)))
            if cancelled.isSet {
                throw SandboxFailure(
                    .cancelled, "cancelled by its cancellation token; the worker was killed", action: action,
                    usage: usage)
            }
            switch error {
            case .timedOut:
                throw SandboxFailure(
                    .timeout, "no answer within the time limit of \(limits.timeout); the worker was killed (SIGKILL)",
                    action: action, usage: usage)
            case .broken(let message):
                throw SandboxFailure(
                    .trap, "the worker process crashed (\(ending)): \(message)", action: action, usage: usage)
            }
        }
        release(worker)
        return try outcome.get()
    }
}

/// Set once by a cancellation handler.
private final class CancelFlag: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// How talking to a worker went wrong.
enum WorkerCallError: Error {
    case timedOut
    case broken(String)
}

/// One execution in a worker: sends the module if needed and the invocation, answers host calls, reads the result.
struct WorkerCall {
    let worker: WorkerProcess
    let host: any PluginHost
    let grants: Set<Capability>

    /// The worker's answer: a result or a reported failure (the worker is then still usable).
    /// - Throws: ``WorkerCallError`` when the worker must be killed: no answer in time, or a broken connection.
    func run(module: PluginModule, action: String, input: [UInt8], limits: SandboxLimits, deadline: UInt64)
        throws(WorkerCallError) -> Result<InvocationResult, SandboxFailure>
    {
        var hostCalls = WorkerHostCalls(host: host, grants: grants)
        do {
            if !worker.loaded.contains(module.identity) {
                var load = FrameWriter(.load)
                load.integer(module.identity)
                load.data(module.bytes)
                try writeAll(worker.fd, load.frame)
                worker.loaded.insert(module.identity)
            }
            var invoke = FrameWriter(.invoke)
            invoke.integer(module.identity)
            invoke.text(action)
            invoke.data(input)
            invoke.integer(UInt32(grants.count))
            for grant in grants { invoke.text(grant.description) }
            invoke.integer(limits.fuel)
            invoke.integer(UInt32(clamping: limits.maxMemoryPages))
            invoke.integer(nanoseconds(limits.timeout))
            invoke.integer(UInt32(clamping: limits.maxOutputBytes))
            try writeAll(worker.fd, invoke.frame)

            while true {
                guard worker.waitReadable(until: deadline) else { throw WorkerCallError.timedOut }
                guard let frame = try readFrame(worker.fd) else {
                    throw WorkerCallError.broken("the connection closed")
                }
                var reader = FrameReader(frame)
                switch reader.message {
                case .hostCall:
                    try writeAll(worker.fd, try hostCalls.answer(&reader).frame)
                case .result:
                    return try result(&reader, action: action, limits: limits, secretsGiven: hostCalls.secretsGiven)
                default:
                    throw WorkerCallError.broken("unexpected frame type \(frame.first ?? 0)")
                }
            }
        } catch let error as WorkerCallError {
            throw error
        } catch let error as FrameError {
            throw WorkerCallError.broken(error.message)
        } catch {
            throw WorkerCallError.broken("\(error)")
        }
    }

    /// Decodes the worker's result, withholding any secret value that reached the output or the message.
    private func result(
        _ reader: inout FrameReader, action: String, limits: SandboxLimits,
        secretsGiven: [(name: String, value: String)]
    ) throws(FrameError) -> Result<InvocationResult, SandboxFailure> {
        let succeeded = try reader.integer(UInt8.self) == 0
        let output = succeeded ? try reader.data() : []
        let kind = succeeded ? nil : SandboxFailure.Kind(rawValue: try reader.text()) ?? .trap
        let message = SecretScan.redacting(succeeded ? "" : try reader.text(), secretsGiven)
        let usage = ResourceUsage(
            fuelUsed: try reader.integer(), peakMemoryBytes: Int(try reader.integer(UInt64.self)),
            duration: .nanoseconds(Int64(clamping: try reader.integer(UInt64.self))))
        if let leaked = SecretScan.first(of: secretsGiven.map(\.value), in: output) {
            return .failure(
                SandboxFailure(
                    .permissionDenied,
                    "the output contains the value of secret \(secretsGiven[leaked].name); it was withheld",
                    action: action, usage: usage))
        }
        if let kind { return .failure(SandboxFailure(kind, message, action: action, usage: usage)) }
        guard output.count <= limits.maxOutputBytes, JSONSyntax.problem(in: output) == nil else {
            return .failure(SandboxFailure(.invalidOutput, "the worker returned invalid output", action: action))
        }
        return .success(InvocationResult(output: output, usage: usage))
    }
}
