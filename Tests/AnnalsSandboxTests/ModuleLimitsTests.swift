import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

/// Checking a module never allocates more than an execution may use: what it declares is checked statically first.
@Suite("Module limits")
struct ModuleLimitsTests {
    /// The largest resident size this process has had, in bytes.
    private static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    /// The module's refusal, or an issue when it was accepted.
    private static func refusal(_ wasm: [UInt8], limits: PluginModuleLimits = PluginModuleLimits())
        -> PluginModuleError?
    {
        moduleRefusal(wasm, limits: limits)
    }

    @Test("a 4 GiB initial memory with a data segment every 4 KiB is refused at once, without allocating it")
    func hugeInitialMemory() throws {
        var builder = WasmModuleBuilder()
        builder.memoryPages = 65_536
        builder.dataSegments = stride(from: 0, to: UInt32(1 << 30), by: 4096).map { (offset: $0, bytes: [1]) }
        let wasm = builder.bytes
        #expect(wasm.count > 2_000_000)
        let residentBefore = Self.peakResidentBytes()
        let started = Date()
        let refused = Self.refusal(wasm)
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(Self.peakResidentBytes() - residentBefore < 512 << 20)
        #expect(refused?.reason == .tooLarge)
        #expect(
            refused?.message
                == "declares an initial linear memory of 65536 pages (4 GiB), more than the 256 pages (16 MiB) an "
                + "execution may use")
    }

    @Test("the memory limit is the configured one: the same module is accepted when executions may use it")
    func configuredMemoryLimit() throws {
        var builder = WasmModuleBuilder()
        builder.memoryPages = 300
        builder.dataSegments = [(offset: 299 * 65_536, bytes: [1, 2, 3])]
        #expect(Self.refusal(builder.bytes)?.reason == .tooLarge)
        let module = try PluginModule(bytes: builder.bytes, limits: PluginModuleLimits(maxMemoryPages: 300))
        #expect(module.initialMemoryPages == 300)
        let limits = PluginModuleLimits(executionLimits: SandboxLimits(maxMemoryPages: 299))
        #expect(Self.refusal(builder.bytes, limits: limits)?.message.contains("300 pages") == true)
    }

    @Test("a million globals are refused, naming them, before any is allocated")
    func tooManyGlobals() throws {
        var builder = WasmModuleBuilder()
        builder.globals = 1_000_000
        let started = Date()
        let refused = Self.refusal(builder.bytes)
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(refused?.reason == .tooLarge)
        #expect(refused?.message == "defines 1000000 globals, more than the limit of 10000")
        builder.globals = 10_000
        _ = try PluginModule(bytes: builder.bytes)
    }

    @Test("too many data segments, tables or table elements are refused, naming what is too large")
    func tablesAndSegments() throws {
        var segments = WasmModuleBuilder()
        segments.dataSegments = (0..<1_001).map { (offset: UInt32($0), bytes: [1]) }
        #expect(Self.refusal(segments.bytes)?.message == "has 1001 data segments, more than the limit of 1000")

        var elements = WasmModuleBuilder()
        elements.tables = [10, 1_000_000]
        #expect(
            Self.refusal(elements.bytes)?.message
                == "table 1 starts with 1000000 elements, more than the limit of 100000")

        var tables = WasmModuleBuilder()
        tables.tables = Array(repeating: 1, count: 17)
        #expect(Self.refusal(tables.bytes)?.message == "defines 17 tables, more than the limit of 16")
    }

    @Test("what parsing decodes entry by entry is refused past its limit before it is parsed")
    func parsedEntries() throws {
        func refused(_ change: (inout WasmModuleBuilder) -> Void) -> PluginModuleError? {
            var builder = WasmModuleBuilder()
            change(&builder)
            let wasm = builder.bytes
            let residentBefore = Self.peakResidentBytes()
            let refusal = Self.refusal(wasm)
            #expect(Self.peakResidentBytes() - residentBefore < 64 << 20, "\(String(describing: refusal))")
            return refusal
        }
        // A review's module: three million passive element segments took 1.2 GB to check.
        let segments = refused { $0.elementSegments = Array(repeating: 1, count: 3_000_000) }
        #expect(segments?.reason == .tooLarge)
        #expect(segments?.message == "has 3000000 element segments, more than the limit of 1000")
        let entries = refused { $0.elementSegments = [60_000, 60_000] }
        #expect(entries?.message == "lists 120000 element entries, more than the limit of 100000")
        // Ten million nested blocks took 2.4 GB to validate.
        let nested = refused { $0.nestedBlocks = 2_000_000 }
        #expect(nested?.reason == .tooLarge)
        #expect(nested?.message.hasPrefix("function body 1 nests blocks more than 10000 deep") == true)
        // One function type of many parameters took 384 MiB to parse at 33 million.
        let parameters = refused { $0.imports = [(name: "kv_get", parameters: 2_000_000, results: 1)] }
        #expect(
            parameters?.message
                == "declares 2000006 parameters, results and fields in its types, more than the limit of 10000")
        let custom = refused { $0.customSections = 10_001 }
        #expect(custom?.message == "has 10001 custom sections, more than the limit of 10000")
        // Locals add up over the functions, counted before any is parsed (one function's own limit is checked
        // later, on the parsed bodies: TranslationCostLimitTests).
        var builder = WasmModuleBuilder()
        builder.actionLocals = 99_999
        _ = try PluginModule(bytes: builder.bytes, limits: PluginModuleLimits(maxFunctionLocals: 99_999))
        let locals = Self.refusal(
            builder.bytes, limits: PluginModuleLimits(maxLocals: 50_000, maxFunctionLocals: 99_999))
        #expect(locals?.message == "declares 99999 local variables in its functions, more than the limit of 50000")
        // Within the limits, the same shapes are accepted.
        var within = WasmModuleBuilder()
        within.elementSegments = [3, 1]
        within.nestedBlocks = 10_000
        within.customSections = 3
        _ = try PluginModule(bytes: within.bytes)
    }

    @Test("a module larger than the size limit is refused before it is parsed")
    func moduleSize() throws {
        let wasm = WasmModuleBuilder().bytes
        let refused = Self.refusal(wasm, limits: PluginModuleLimits(maxModuleBytes: wasm.count - 1))
        #expect(refused?.reason == .tooLarge)
        #expect(refused?.message == "is \(wasm.count) bytes, more than the limit of \(wasm.count - 1) bytes")
        #expect(
            try PluginModule(bytes: wasm, limits: PluginModuleLimits(maxModuleBytes: wasm.count)).actions == ["run"])
    }

    @Test("a module within the limits runs, its data segments applied")
    func withinLimits() throws {
        var builder = WasmModuleBuilder()
        builder.memoryPages = 2
        builder.dataSegments = [(offset: 2048, bytes: Array("{}".utf8))]
        builder.output = (2048, 2)
        let module = try PluginModule(bytes: builder.bytes)
        let result = try Sandbox().invoke(module: module, action: "run", input: [], host: InMemoryPluginHost())
        #expect(result.outputText == "{}")
        #expect(result.peakMemoryBytes == 2 * 65_536)
    }
}
