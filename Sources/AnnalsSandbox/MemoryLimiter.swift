@_spi(Fuzzing) import WasmKit

/// Enforces ``SandboxLimits/maxMemoryPages`` on instantiation and every `memory.grow`, and records the peak.
///
/// Growing past the limit does not return -1 to the guest: it stops the execution with `memoryLimit`.
/// (`Store.resourceLimiter` is WasmKit SPI in 0.4.2, hence the `@_spi` import.)
///
/// WasmKit asks the limiter before it allocates, and an allocation can still fail after (in a worker, at its
/// address-space rlimit), so a size the limiter allowed counts towards the peak only once it is known to be
/// allocated: when the execution goes on (the next growth, or the end), not when it stops on that allocation.
final class MemoryLimiter: ResourceLimiter, @unchecked Sendable {
    let maximumBytes: Int
    /// The largest linear memory allocated, in bytes.
    private(set) var peakBytes = 0
    /// The size asked for beyond the limit, once it happened.
    private(set) var refusedBytes: Int?
    /// The size last allowed, not yet known to be allocated.
    private var pendingBytes: Int?
    /// The size allowed that could not be allocated, once it happened (see ``settle(after:)``).
    private(set) var unallocatedBytes: Int?
    /// Whether the instance was created: later growths are `memory.grow`s, earlier ones initial memories.
    private(set) var instantiated = false

    init(maximumBytes: Int) { self.maximumBytes = maximumBytes }

    /// The most elements a table may have, at instantiation and through `table.grow`.
    static let maximumTableElements = PluginModuleLimits().maxTableElements

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        // The execution went on, so the size allowed before was allocated.
        confirm()
        guard desired <= maximumBytes else {
            refusedBytes = desired
            throw MemoryLimitExceeded()
        }
        pendingBytes = desired
        return true
    }

    func limitTableGrowth(to desired: Int) throws -> Bool { desired <= Self.maximumTableElements }

    /// Installs this limiter on `store`.
    func install(on store: Store) { store.resourceLimiter = self }

    /// Records that the module was instantiated.
    func markInstantiated() {
        confirm()
        instantiated = true
    }

    /// Counts the size last allowed towards the peak: the execution went on after it.
    func confirm() {
        if let pending = pendingBytes { peakBytes = max(peakBytes, pending) }
        pendingBytes = nil
    }

    /// Settles the size last allowed once `error` stopped the execution: allocated, unless `error` is WasmKit's
    /// failure to allocate exactly that size (``unallocatedBytes`` then holds it).
    func settle(after error: any Error) {
        guard let pending = pendingBytes else { return }
        if let trap = error as? Trap,
            InProcessExecution.trapReason(trap) == "initial memory size exceeds the resource limit: \(pending) bytes"
        {
            pendingBytes = nil
            unallocatedBytes = pending
        } else {
            confirm()
        }
    }
}

/// Thrown by ``MemoryLimiter`` to stop the execution.
struct MemoryLimitExceeded: Error {}
