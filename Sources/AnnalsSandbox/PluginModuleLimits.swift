/// What a module may declare to be accepted by ``PluginModule/init(bytes:limits:)``.
///
/// The check instantiates the module once in this process, outside every execution's limits, so everything that
/// instantiation allocates is bounded here first, statically, before anything is allocated: the module's size,
/// its initial linear memory (never more than an execution may use), its tables, globals and data segments.
/// A module past any of them is refused with ``PluginModuleError/Reason/tooLarge``, naming what is too large.
///
/// ```swift
/// let limits = PluginModuleLimits(maxMemoryPages: 1_024)     // executions will run with 1,024 pages (64 MiB)
/// let module = try PluginModule(bytes: wasm, limits: limits)
/// ```
public struct PluginModuleLimits: Sendable, Equatable {
    /// The most bytes the module may have.
    public var maxModuleBytes: Int
    /// The most 64 KiB pages of initial linear memory the module may declare (all its memories together): the
    /// ``SandboxLimits/maxMemoryPages`` its executions run with, since a module starting with more could never run.
    public var maxMemoryPages: Int
    /// The most tables the module may define.
    public var maxTables: Int
    /// The most elements a table may start with (an execution cannot grow a table past this either).
    public var maxTableElements: Int
    /// The most globals the module may define (each one is allocated by every execution).
    public var maxGlobals: Int
    /// The most data segments the module may have (each active one is copied into memory by every execution).
    public var maxDataSegments: Int

    /// Creates limits; the defaults are 32 MiB of module, 256 pages (16 MiB, as ``SandboxLimits``), 16 tables of at
    /// most 100,000 elements, 10,000 globals and 1,000 data segments.
    public init(
        maxModuleBytes: Int = 32 << 20, maxMemoryPages: Int = SandboxLimits().maxMemoryPages, maxTables: Int = 16,
        maxTableElements: Int = 100_000, maxGlobals: Int = 10_000,
        maxDataSegments: Int = 1_000
    ) {
        self.maxModuleBytes = maxModuleBytes
        self.maxMemoryPages = maxMemoryPages
        self.maxTables = maxTables
        self.maxTableElements = maxTableElements
        self.maxGlobals = maxGlobals
        self.maxDataSegments = maxDataSegments
    }

    /// The default limits with the initial memory of `limits`, the limits the module's executions run with.
    public init(executionLimits limits: SandboxLimits) {
        self.init(maxMemoryPages: limits.maxMemoryPages)
    }

    /// The memory limit in bytes.
    var maxMemoryBytes: Int { maxMemoryPages.multipliedReportingOverflow(by: SandboxLimits.pageSize).partialValue }
}
