import WasmKit

/// The WasmKit engines the sandbox runs on, shared by every execution (an engine holds only configuration).
enum Engines {
    /// The interpreter stack each execution gets; deep recursion traps with "call stack exhausted" at this depth.
    static let stackSize = 1 << 20

    /// Executions: fuel-metered, lazily translated, with software bounds checks (no 8 GiB address-space
    /// reservation per memory, so a worker's address-space rlimit can stay small, and no signal handlers).
    static let runtime = Engine(
        configuration: EngineConfiguration(
            compilationMode: .lazy, stackSize: stackSize, memoryBoundsChecking: .software, fuelMetering: true))

    /// Validation of a new module: translates every function once, so invalid code is found before it runs.
    static let validation = Engine(
        configuration: EngineConfiguration(
            compilationMode: .eager, stackSize: stackSize, memoryBoundsChecking: .software, fuelMetering: true))
}
