import Synchronization
@_spi(Fuzzing) import WasmKit
import WasmParser

/// A plugin: a WebAssembly module parsed and checked against the ABI once, then reused by any number of
/// executions, from any thread.
///
/// ```swift
/// let module = try PluginModule(bytes: wasmBytes)
/// module.actions          // ["quote"]
/// module.hostImports      // [] — price-quote needs no capability
/// ```
public struct PluginModule: Sendable {
    /// The module's bytes, as given.
    public let bytes: [UInt8]
    /// The actions the module exports (each `action_<name>`), sorted.
    public let actions: [String]
    /// The host functions the module imports, in import order.
    public let hostImports: [HostFunction]
    /// The linear memory the module starts with, in 64 KiB pages.
    public let initialMemoryPages: Int
    /// The parsed module.
    let wasm: Module
    /// A process-unique identity, so a worker process is sent each module once.
    let identity: UInt64

    /// The export name of the action `name`.
    static func exportName(ofAction name: String) -> String { "action_" + name }

    /// The capability kinds the imports need.
    public var requiredCapabilities: Set<CapabilityKind> { Set(hostImports.map(\.capability)) }

    /// Parses, validates (every function body) and checks `bytes` against the plugin ABI, within `limits`.
    ///
    /// What instantiation would allocate is checked against `limits` first, statically, so the check itself never
    /// allocates more than an execution may use; the one instantiation it makes runs under the same memory limit.
    /// - Parameter limits: What the module may declare (its size, initial memory, tables, globals, data and element
    ///   segments, functions and locals, nesting depth, operand stacks, section entries).
    /// - Throws: ``PluginModuleError`` naming what is wrong: malformed or invalid WebAssembly, a module larger than
    ///   `limits` allow, a missing or mistyped `memory`, `annals_alloc` or action export, or an import that is not a
    ///   host function or does not have its type.
    public init(bytes: [UInt8], limits: PluginModuleLimits = PluginModuleLimits()) throws(PluginModuleError) {
        guard bytes.count <= limits.maxModuleBytes else {
            throw PluginModuleError(
                .tooLarge, "is \(bytes.count) bytes, more than the limit of \(limits.maxModuleBytes) bytes")
        }
        let inventory = try ModuleInventory(bytes: bytes)
        try inventory.check(against: limits)
        try CodeScan.check(bytes, limits: limits)
        try self.init(bytes: bytes, inventory: inventory, checkingWithin: limits)
    }

    /// Parses a module a parent process already checked with ``init(bytes:limits:)``, without instantiating it: a
    /// worker's executions instantiate it under their own limits.
    init(checkedBytes bytes: [UInt8]) throws(PluginModuleError) {
        try self.init(bytes: bytes, inventory: try ModuleInventory(bytes: bytes), checkingWithin: nil)
    }

    private init(bytes: [UInt8], inventory: ModuleInventory, checkingWithin limits: PluginModuleLimits?)
        throws(PluginModuleError)
    {
        let wasm: Module
        do {
            wasm = try parseWasm(bytes: bytes)
        } catch {
            throw PluginModuleError(.malformed, "not a valid WebAssembly module: \(error)")
        }
        var hostImports: [HostFunction] = []
        for entry in wasm.imports {
            guard entry.module == HostFunction.importModule, case .function = entry.descriptor,
                let function = HostFunction(rawValue: entry.name)
            else {
                throw PluginModuleError(
                    .unknownImport,
                    "imports \(entry.module).\(entry.name), which is not a host function; the host functions are "
                        + HostFunction.allCases.map { "annals.\($0.rawValue)" }.joined(separator: ", "))
            }
            if case .function(let typeIndex) = entry.descriptor, let declared = wasm.functionType(at: typeIndex),
                declared != function.type
            {
                throw PluginModuleError(
                    .wrongImport,
                    "declares the import annals.\(function.rawValue) as \(declared), but the host function is "
                        + "\(function.type)")
            }
            hostImports.append(function)
        }
        var actions: [String] = []
        for entry in wasm.exports where entry.name.hasPrefix("action_") {
            guard case .function = entry.descriptor, entry.name.count > "action_".count else {
                throw PluginModuleError(.wrongExport, "export \(entry.name) is not an action function")
            }
            actions.append(String(entry.name.dropFirst("action_".count)))
        }
        guard !actions.isEmpty else {
            throw PluginModuleError(.missingExport, "exports no action (a function named action_<name>)")
        }
        if let limits {
            try Self.checkInstance(of: wasm, imports: hostImports, actions: actions, limits: limits)
        }
        self.bytes = bytes
        self.wasm = wasm
        self.actions = actions.sorted()
        self.hostImports = hostImports
        self.initialMemoryPages = Int(clamping: inventory.initialMemoryPages)
        self.identity = nextModuleIdentity.add(1, ordering: .relaxed).newValue
    }

    /// Reads and checks the module file at `path`, within `limits` (see ``init(bytes:limits:)``).
    /// - Throws: ``PluginModuleError``, `.unreadable` naming the system's reason when the file cannot be read.
    public init(contentsOfFile path: String, limits: PluginModuleLimits = PluginModuleLimits())
        throws(PluginModuleError)
    {
        switch FileChunks.contents(of: path, atMost: limits.maxModuleBytes) {
        case .success(let bytes): try self.init(bytes: bytes, limits: limits)
        case .failure(let error) where error.isTooLarge:
            throw PluginModuleError(.tooLarge, "is more than the limit of \(limits.maxModuleBytes) bytes")
        case .failure(let error): throw PluginModuleError(.unreadable, "cannot read \(path): \(error)")
        }
    }

    /// Instantiates `wasm` once with stub host functions on the eager engine, which validates every function,
    /// and checks the types of the ABI's exports.
    ///
    /// The module's start function is left out: the check runs in the host, under no execution's time limit, and a
    /// start function may loop or grow memory without end. Executions run it under their limits. The instance's
    /// memory is limited to `limits` like an execution's (what it declares was checked before, statically).
    private static func checkInstance(
        of module: Module, imports: [HostFunction], actions: [String], limits: PluginModuleLimits
    ) throws(PluginModuleError) {
        var wasm = module
        wasm.dropStartFunction()
        let store = Store(engine: Engines.validation)
        store.fuel = Fuel(remaining: 10_000_000)
        let limiter = MemoryLimiter(maximumBytes: limits.maxMemoryBytes)
        limiter.install(on: store)
        var stubs = Imports()
        for function in imports {
            stubs.define(
                module: HostFunction.importModule, name: function.rawValue,
                Function(store: store, type: function.type) { _, _ in throw ValidationStubCalled() })
        }
        let instance: Instance
        do {
            instance = try wasm.instantiate(store: store, imports: stubs)
        } catch {
            if let refused = limiter.refusedBytes {
                throw PluginModuleError(
                    .tooLarge,
                    "needs a linear memory of \(refused) bytes, more than the limit of \(limits.maxMemoryPages) pages")
            }
            if let problem = error as? WasmKitError {
                throw PluginModuleError(.invalid, "invalid WebAssembly: \(problem)")
            }
            throw PluginModuleError(.invalid, "cannot be instantiated: \(error)")
        }
        guard instance.exports[memory: "memory"] != nil else {
            throw PluginModuleError(.missingExport, "does not export its linear memory as 'memory'")
        }
        guard let alloc = instance.exports[function: "annals_alloc"] else {
            throw PluginModuleError(.missingExport, "does not export annals_alloc(size: i32) -> i32")
        }
        guard alloc.type == FunctionType(parameters: [.i32], results: [.i32]) else {
            throw PluginModuleError(.wrongExport, "annals_alloc must be (i32) -> i32, not \(alloc.type)")
        }
        let actionType = FunctionType(parameters: [.i32, .i32], results: [.i64])
        for action in actions {
            let name = exportName(ofAction: action)
            guard let function = instance.exports[function: name], function.type == actionType else {
                throw PluginModuleError(.wrongExport, "\(name) must be (i32, i32) -> i64")
            }
        }
    }
}

/// Thrown by the host function stubs of validation, which never runs an action.
private struct ValidationStubCalled: Error {}

/// The last identity given to a ``PluginModule``.
private let nextModuleIdentity = Atomic<UInt64>(0)

/// Why bytes are not a usable plugin module.
public struct PluginModuleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of problem.
    public enum Reason: String, Sendable, Equatable {
        /// The file could not be read.
        case unreadable
        /// The bytes are not a WebAssembly module.
        case malformed
        /// The module is WebAssembly but does not validate or instantiate.
        case invalid
        /// A required export is missing.
        case missingExport
        /// An export has the wrong kind or type.
        case wrongExport
        /// The module imports something that is not a host function.
        case unknownImport
        /// The module imports a host function with another type than the host's.
        case wrongImport
        /// The module is larger than its ``PluginModuleLimits`` allow: its size, initial memory, tables, globals or
        /// data segments.
        case tooLarge
    }

    /// The kind of problem.
    public let reason: Reason
    /// What is wrong, for people.
    public let message: String

    /// Creates an error.
    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// `invalid plugin module: MESSAGE`.
    public var description: String { "invalid plugin module: \(message)" }
}
