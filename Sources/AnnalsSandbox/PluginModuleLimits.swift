/// What a module may declare to be accepted by ``PluginModule/init(bytes:limits:)``.
///
/// The check parses and instantiates the module once in this process, outside every execution's limits, so
/// everything that parsing and instantiation allocate is bounded here first, statically, from the section headers and
/// entry counts, before anything is decoded: the module's size, its initial linear memory (never more than an
/// execution may use), its tables, globals, data and element segments, functions and their locals, how deep its code
/// nests, how high its operand stacks grow and how much of them translation scans, and its other sections' entries.
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
    /// The most element segments the module may have (each is decoded into its own list of references).
    public var maxElementSegments: Int
    /// The most element entries (function references) all its element segments may list together.
    public var maxElementEntries: Int
    /// The most functions the module may define (each is decoded and compiled).
    public var maxFunctions: Int
    /// The most local variables all its functions may declare together (the parser expands a function's
    /// run-length-encoded locals into one entry each, so a few bytes can declare a hundred thousand).
    public var maxLocals: Int
    /// The most local variables one function may declare (its parameters not counted): every call initializes
    /// each of them, a cost no fuel is charged for, so a function of 99,999 locals called in a loop ran about 30
    /// times longer per unit of fuel than ordinary code (4,096 about twice as long, in a debug build).
    public var maxFunctionLocals: Int
    /// The deepest a function may nest blocks, loops and ifs (validation keeps a frame for each open one).
    public var maxNestingDepth: Int
    /// The most values a function's operand stack may hold at any point, as the check counts them (exactly for the
    /// instructions compilers emit, a bound from above for the few others; see ``maxOperandStackScan``). Compilers
    /// keep their stacks shallow (at most 9 values in Rust's and clang's output at every optimization level), and
    /// WasmKit cannot run a frame of more than 4,096 slots, locals and stack together, anyway.
    public var maxOperandStackHeight: Int
    /// The most operand stack values translation may scan in all the module's functions together, counted from
    /// above as the stack's height at each instruction that makes WasmKit's translator walk the stack (`local.set`,
    /// `local.tee`, `block`, `loop`, `if`, `try_table`, `else`, `end`, `br_if`, `br_on_null`, `br_on_non_null`).
    ///
    /// Translation runs in the host, before an execution is recorded and outside fuel metering, and each of those
    /// instructions costs it time in proportion to the stack's height: 4,000 values kept on the stack under
    /// 100,000 `local.set`s took 18 seconds to translate in a debug build; at the default limit, 0.5 seconds. Rust's
    /// and clang's output scans about one value for every 16 bytes of the module.
    public var maxOperandStackScan: Int
    /// The most catch clauses one `try_table` may have. Compilers emit one or two (a tag and `catch_all`); each
    /// clause is registered, outside fuel metering, every time the block is entered, and WasmKit's translator takes
    /// time in proportion to their number squared (65,535 clauses took 24 seconds), so many clauses would make
    /// entering a block far more work than the unit of fuel it costs.
    public var maxCatchClauses: Int
    /// The most catch clauses the `try_table`s open at once in a function may have together. A branch or `return`
    /// out of them unwinds each one, and WasmKit counts them in 16 bits: two nested `try_table`s of 40,000 clauses
    /// with a branch out of both made the host process stop on an arithmetic overflow while checking the module.
    /// A limit above 65,535 is taken as 65,535.
    public var maxOpenCatchClauses: Int
    /// The most entries the module may have in each of its type, import, export, memory and tag sections, the most
    /// custom sections it may have (each is decoded into its own value), and the most parameters, results and fields
    /// its types may declare together.
    public var maxSectionEntries: Int

    /// Creates limits; the defaults are 32 MiB of module, 256 pages (16 MiB, as ``SandboxLimits``), 16 tables of at
    /// most 100,000 elements, 10,000 globals, 1,000 data segments, 1,000 element segments of 100,000 entries in all,
    /// 100,000 functions declaring 1,000,000 locals in all and 4,096 each, blocks nested 10,000 deep,
    /// operand stacks 1,024 values high of which translation scans 10,000,000 in all, `try_table`s of at most 16
    /// catch clauses and 256 open at once in a function, and 10,000 types, imports, exports, tags and custom sections
    /// each.
    public init(
        maxModuleBytes: Int = 32 << 20, maxMemoryPages: Int = SandboxLimits().maxMemoryPages, maxTables: Int = 16,
        maxTableElements: Int = 100_000, maxGlobals: Int = 10_000,
        maxDataSegments: Int = 1_000, maxElementSegments: Int = 1_000, maxElementEntries: Int = 100_000,
        maxFunctions: Int = 100_000, maxLocals: Int = 1_000_000, maxFunctionLocals: Int = 4_096,
        maxNestingDepth: Int = 10_000, maxOperandStackHeight: Int = 1_024,
        maxOperandStackScan: Int = 10_000_000, maxCatchClauses: Int = 16, maxOpenCatchClauses: Int = 256,
        maxSectionEntries: Int = 10_000
    ) {
        self.maxModuleBytes = maxModuleBytes
        self.maxMemoryPages = maxMemoryPages
        self.maxTables = maxTables
        self.maxTableElements = maxTableElements
        self.maxGlobals = maxGlobals
        self.maxDataSegments = maxDataSegments
        self.maxElementSegments = maxElementSegments
        self.maxElementEntries = maxElementEntries
        self.maxFunctions = maxFunctions
        self.maxLocals = maxLocals
        self.maxFunctionLocals = maxFunctionLocals
        self.maxNestingDepth = maxNestingDepth
        self.maxOperandStackHeight = maxOperandStackHeight
        self.maxOperandStackScan = maxOperandStackScan
        self.maxCatchClauses = maxCatchClauses
        self.maxOpenCatchClauses = maxOpenCatchClauses
        self.maxSectionEntries = maxSectionEntries
    }

    /// The default limits with the initial memory of `limits`, the limits the module's executions run with.
    public init(executionLimits limits: SandboxLimits) {
        self.init(maxMemoryPages: limits.maxMemoryPages)
    }

    /// The memory limit in bytes.
    var maxMemoryBytes: Int { maxMemoryPages.multipliedReportingOverflow(by: SandboxLimits.pageSize).partialValue }
}
