import WasmKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One execution in this process: a fresh store and instance of the module, the input written through
/// `annals_alloc`, the action called, the output checked.
struct InProcessExecution {
    let module: PluginModule
    let action: String
    let grants: Set<Capability>
    let host: any PluginHost
    let limits: SandboxLimits
    /// Whether this runs in a worker process (for messages).
    var inWorker = false

    /// Runs the execution; `cancellation` stops it from another thread.
    func run(input: [UInt8], cancellation: CancellationToken?) throws(SandboxFailure) -> InvocationResult {
        let started = monotonicNow()
        func usage(fuel: UInt64 = 0, memory: Int = 0) -> ResourceUsage {
            ResourceUsage(
                fuelUsed: fuel, peakMemoryBytes: memory,
                duration: .nanoseconds(Int64(monotonicNow() &- started)))
        }
        guard module.actions.contains(action) else {
            throw SandboxFailure(
                .trap, "the module exports no action '\(action)' (it has: \(module.actions.joined(separator: ", ")))",
                action: action, usage: usage())
        }
        if let denied = Self.deniedImport(of: module, grants: grants) {
            throw SandboxFailure(.permissionDenied, denied, action: action, usage: usage())
        }

        let store = Store(engine: Engines.runtime)
        store.fuel = Fuel(remaining: limits.fuel)
        let limiter = MemoryLimiter(maximumBytes: limits.maxMemoryBytes)
        limiter.install(on: store)
        let interrupter = ExecutionInterrupter(store: store)
        let bindings = HostBindings(host: host, grants: grants, interrupter: interrupter)
        let watch = Watchdog.shared.add(
            interrupter, deadline: started &+ min(nanoseconds(limits.timeout), UInt64.max - started))
        let handler = cancellation?.addHandler {
            interrupter.interrupt(.cancelled)
            Watchdog.shared.expire(watch)
        }
        defer {
            cancellation?.removeHandler(handler)
            Watchdog.shared.remove(watch)
        }

        func fuelUsed() -> UInt64 {
            let remaining = interrupter.fuelRemainingAtInterrupt ?? store.fuel?.remaining ?? limits.fuel
            return limits.fuel &- min(remaining, limits.fuel)
        }
        do {
            let output = try call(store: store, bindings: bindings, limiter: limiter, input: input)
            interrupter.finish()
            limiter.confirm()
            if let reason = interrupter.interruption {
                throw Self.interrupted(reason, limits: limits)
            }
            return InvocationResult(output: output, usage: usage(fuel: fuelUsed(), memory: limiter.peakBytes))
        } catch {
            interrupter.finish()
            limiter.settle(after: error)
            var failure = classify(error, interruption: interrupter.interruption, limiter: limiter)
            failure.message = bindings.redacting(failure.message)
            failure.action = action
            failure.usage = usage(fuel: fuelUsed(), memory: limiter.peakBytes)
            throw failure
        }
    }

    /// Instantiates, passes the input, calls the action and checks its output.
    private func call(store: Store, bindings: HostBindings, limiter: MemoryLimiter, input: [UInt8]) throws
        -> [UInt8]
    {
        var imports = Imports()
        for function in Set(module.hostImports) { bindings.define(function, in: &imports, store: store) }
        let instance = try module.wasm.instantiate(store: store, imports: imports)
        limiter.markInstantiated()
        guard let memory = instance.exports[memory: "memory"],
            let alloc = instance.exports[function: "annals_alloc"],
            let function = instance.exports[function: PluginModule.exportName(ofAction: action)]
        else { throw SandboxFailure(.trap, "the instance lacks an export the module had") }
        let guest = GuestMemory(memory: memory)
        guard input.count <= Int32.max else { throw SandboxFailure(.trap, "the input is larger than 2 GiB") }

        let pointer = try alloc([.i32(UInt32(input.count))]).first?.i32 ?? 0
        if pointer == 0 && !input.isEmpty {
            throw SandboxFailure(.trap, "annals_alloc(\(input.count)) returned 0")
        }
        do {
            try guest.write(input, at: pointer, what: "the input buffer from annals_alloc")
        } catch {
            throw SandboxFailure(.trap, error.message)
        }

        let packed = try function([.i32(pointer), .i32(UInt32(input.count))]).first?.i64 ?? 0
        let outputPointer = UInt32(truncatingIfNeeded: packed >> 32)
        let outputCount = UInt32(truncatingIfNeeded: packed)
        guard Int(outputCount) <= limits.maxOutputBytes else {
            throw SandboxFailure(
                .invalidOutput,
                "the output of \(outputCount) bytes is larger than the limit of \(limits.maxOutputBytes) bytes")
        }
        let output: [UInt8]
        do {
            output = try guest.read(outputPointer, outputCount, what: "the output")
        } catch {
            throw SandboxFailure(.trap, error.message)
        }
        if let problem = JSONSyntax.problem(in: output) {
            throw SandboxFailure(.invalidOutput, "the output is not JSON: \(problem)")
        }
        if let secret = bindings.leakedSecret(in: output) {
            throw SandboxFailure(
                .permissionDenied, "the output contains the value of secret \(secret); it was withheld")
        }
        return output
    }

    /// Turns what an execution threw into a failure.
    private func classify(_ error: any Error, interruption: InterruptReason?, limiter: MemoryLimiter)
        -> SandboxFailure
    {
        if let interruption { return Self.interrupted(interruption, limits: limits) }
        if let refused = limiter.refusedBytes {
            return SandboxFailure(
                .memoryLimit,
                "linear memory of \(refused) bytes (\(refused / SandboxLimits.pageSize) pages) exceeds the limit of "
                    + "\(limits.maxMemoryPages) pages")
        }
        if let unallocated = limiter.unallocatedBytes {
            return SandboxFailure(.memoryLimit, unallocatedMessage(unallocated, grow: limiter.instantiated))
        }
        switch error {
        case let failure as SandboxFailure:
            return failure
        case let failure as HostCallFailure:
            return SandboxFailure(failure.kind, failure.message)
        case let trap as Trap:
            let reason = Self.trapReason(trap)
            if reason == "out of fuel" {
                return SandboxFailure(.outOfFuel, "used up the fuel budget of \(limits.fuel)")
            }
            if reason == "call stack exhausted" {
                return SandboxFailure(
                    .trap,
                    "call stack exhausted: recursion deeper than the \(Engines.stackSize / 1024) KiB "
                        + "interpreter stack allows")
            }
            return SandboxFailure(.trap, "trap: \(reason)")
        default:
            return SandboxFailure(.trap, "\(error)")
        }
    }

    /// Why linear memory of `bytes`, within the limit, could not be allocated: this process's address-space limit
    /// (a worker's `RLIMIT_AS`), or the host's memory.
    private func unallocatedMessage(_ bytes: Int, grow: Bool) -> String {
        let size = "\(bytes) bytes (\(bytes / SandboxLimits.pageSize) pages)"
        let what =
            grow
            ? "memory.grow to \(size) could not be satisfied" : "the initial memory of \(size) could not be allocated"
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else {
            return what + ": the host could not allocate it"
        }
        let process = inWorker ? "the worker's" : "this process's"
        return what + " within \(process) address-space limit of \(limit.rlim_cur >> 20) MiB (RLIMIT_AS)"
    }

    /// The reason of a WasmKit trap, without the `Trap: ` prefix and the backtrace.
    static func trapReason(_ trap: Trap) -> String {
        let text = trap.description.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        return text.hasPrefix("Trap: ") ? String(text.dropFirst(6)) : text
    }

    static func interrupted(_ reason: InterruptReason, limits: SandboxLimits) -> SandboxFailure {
        switch reason {
        case .timeout: SandboxFailure(.timeout, "stopped after the time limit of \(limits.timeout)")
        case .cancelled: SandboxFailure(.cancelled, "cancelled by its cancellation token")
        }
    }

    /// Why `grants` do not cover `module`'s imports, or `nil` if they do.
    static func deniedImport(of module: PluginModule, grants: Set<Capability>) -> String? {
        let kinds = Set(grants.map(\.kind))
        for function in module.hostImports where !kinds.contains(function.capability) {
            let needed = function.capability == .secretsRead ? "secrets.read:NAME" : function.capability.rawValue
            return "the module imports annals.\(function.rawValue), which needs capability \(needed); "
                + "it was not granted"
        }
        return nil
    }
}
