/// Where executions run.
public enum ExecutionIsolation: Sendable, Equatable {
    /// In the calling thread of this process: the lowest latency. Limits are enforced by the interpreter (fuel,
    /// memory, call stack) and the watchdog (timeout, cancellation).
    case inProcess
    /// In a pool of `count` worker processes started from `executable` (the `annals` binary, run as
    /// `annals sandbox-worker`): a crash of the runtime cannot take the host down, a hard timeout kills the
    /// worker, and each worker limits its own address space and CPU time.
    case workerProcesses(executable: String, count: Int)
}

/// Runs plugin actions under limits and capabilities.
///
/// ```swift
/// let sandbox = Sandbox()
/// let module = try PluginModule(bytes: wasm)
/// let result = try sandbox.invoke(
///     module: module, action: "quote", input: Array(#"{"symbol":"BTC","amount":2}"#.utf8),
///     grants: [], host: InMemoryPluginHost())
/// print(result.outputText, result.fuelUsed)
/// ```
public final class Sandbox: Sendable {
    /// Where executions run.
    public let isolation: ExecutionIsolation
    /// The worker pool, in worker mode.
    private let pool: WorkerPool?

    /// Creates a sandbox; worker processes are started on first use.
    public init(isolation: ExecutionIsolation = .inProcess) {
        self.isolation = isolation
        switch isolation {
        case .inProcess: pool = nil
        case .workerProcesses(let executable, let count):
            pool = WorkerPool(executable: executable, count: max(1, count))
        }
    }

    /// Runs `action` of `module` with `input` (JSON), within `limits`, allowing the host functions `grants`
    /// cover; host calls go to `host` on the calling thread.
    /// - Returns: the output (valid JSON) and the resources used.
    /// - Throws: ``SandboxFailure`` when the execution fails; the sandbox stays usable.
    public func invoke(
        module: PluginModule, action: String, input: [UInt8], grants: Set<Capability> = [],
        host: any PluginHost, limits: SandboxLimits = SandboxLimits(), cancellation: CancellationToken? = nil
    ) throws(SandboxFailure) -> InvocationResult {
        if cancellation?.isCancelled == true {
            throw SandboxFailure(.cancelled, "cancelled before it started", action: action)
        }
        if let pool {
            return try pool.invoke(
                module: module, action: action, input: input, grants: grants, host: host, limits: limits,
                cancellation: cancellation)
        }
        let execution = InProcessExecution(module: module, action: action, grants: grants, host: host, limits: limits)
        return try execution.run(input: input, cancellation: cancellation)
    }
}
