@_spi(Fuzzing) import WasmKit

/// Enforces ``SandboxLimits/maxMemoryPages`` on instantiation and every `memory.grow`, and records the peak.
///
/// Growing past the limit does not return -1 to the guest: it stops the execution with `memoryLimit`.
/// (`Store.resourceLimiter` is WasmKit SPI in 0.4.2, hence the `@_spi` import.)
final class MemoryLimiter: ResourceLimiter, @unchecked Sendable {
    let maximumBytes: Int
    private(set) var peakBytes = 0
    /// The size asked for beyond the limit, once it happened.
    private(set) var refusedBytes: Int?

    init(maximumBytes: Int) { self.maximumBytes = maximumBytes }

    /// The most elements a table may have, at instantiation and through `table.grow`.
    static let maximumTableElements = PluginModuleLimits().maxTableElements

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        guard desired <= maximumBytes else {
            refusedBytes = desired
            throw MemoryLimitExceeded()
        }
        peakBytes = max(peakBytes, desired)
        return true
    }

    func limitTableGrowth(to desired: Int) throws -> Bool { desired <= Self.maximumTableElements }

    /// Installs this limiter on `store`.
    func install(on store: Store) { store.resourceLimiter = self }
}

/// Thrown by ``MemoryLimiter`` to stop the execution.
struct MemoryLimitExceeded: Error {}
