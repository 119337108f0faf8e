import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

/// What a module's function bodies cost WasmKit to translate and to call, outside fuel metering, is bounded by the
/// module check: their operand stacks' height, the stack values translation scans, and each function's locals.
@Suite("Translation cost limits")
struct TranslationCostLimitTests {
    /// `local.get 0`, `count` times: `count` values on the operand stack.
    private static func push(_ count: Int) -> [UInt8] { Array(repeating: [0x20, 0x00], count: count).flatMap { $0 } }

    /// `drop`, `count` times.
    private static func drop(_ count: Int) -> [UInt8] { Array(repeating: 0x1A, count: count) }

    /// `i32.const 0; local.set 1`, `count` times: each `local.set` makes the translator scan the whole stack.
    private static func localSets(_ count: Int) -> [UInt8] {
        Array(repeating: [0x41, 0x00, 0x21, 0x01], count: count).flatMap { $0 }
    }

    /// A plugin whose action keeps `height` values on its operand stack under `code`.
    private static func module(height: Int, under code: [UInt8], locals: Int = 0) -> [UInt8] {
        var builder = WasmModuleBuilder()
        builder.actionLocals = locals
        builder.actionCode = push(height) + code + drop(height)
        return builder.bytes
    }

    /// The module's refusal, or an issue when it was accepted.
    private static func refusal(_ wasm: [UInt8], limits: PluginModuleLimits = PluginModuleLimits())
        -> PluginModuleError?
    {
        moduleRefusal(wasm, limits: limits)
    }

    @Test("the review's module, 4,000 values on the stack under 100,000 local.sets, is refused before translation")
    func reviewModule() throws {
        let refused = Self.refusal(Self.module(height: 4_000, under: Self.localSets(100_000)))
        #expect(refused?.reason == .tooLarge)
        let limit = PluginModuleLimits().maxOperandStackHeight
        #expect(
            refused?.message.hasPrefix(
                "function 1 (code body 1) holds up to 4001 values on its operand stack, more than the limit of "
                    + "\(limit) (first at byte ")
                == true)
        // With the stack's height allowed, the values its local.sets scan are what refuses it.
        let scans = Self.refusal(
            Self.module(height: 4_000, under: Self.localSets(100_000)),
            limits: PluginModuleLimits(maxOperandStackHeight: 10_000))
        #expect(
            scans?.message
                == "function 1 (code body 1) makes translation scan 400100001 operand stack values, bringing the "
                + "module to 400100002, more than the limit of \(PluginModuleLimits().maxOperandStackScan)")
    }

    @Test("the stack values scanned are added up to the limit: at it a module is accepted, one local.set more is not")
    func scanLimit() throws {
        let limits = PluginModuleLimits()
        let height = limits.maxOperandStackHeight - 1
        // Each local.set scans the height plus its i32.const; the two functions' `end`s scan their one result.
        let sets = (limits.maxOperandStackScan - 2) / (height + 1)
        let within = Self.module(height: height, under: Self.localSets(sets))
        let module = try PluginModule(bytes: within)
        #expect(module.actions == ["run"])
        let scanned = sets * (height + 1) + 2
        #expect(scanned <= limits.maxOperandStackScan)
        #expect(scanned + height + 1 > limits.maxOperandStackScan)

        let past = Self.refusal(Self.module(height: height, under: Self.localSets(sets + 1)))
        #expect(past?.reason == .tooLarge)
        #expect(past?.message.hasPrefix("function 1 (code body 1) makes translation scan ") == true)
        #expect(past?.message.hasSuffix("more than the limit of \(limits.maxOperandStackScan)") == true)
    }

    @Test("blocks and br_ifs scan the stack too, and are counted like local.sets")
    func blocksAndBranches() throws {
        let blocks: [UInt8] = Array(repeating: [0x02, 0x40, 0x0B], count: 100_000).flatMap { $0 }
        let refusedBlocks = Self.refusal(Self.module(height: 1_000, under: blocks))
        #expect(refusedBlocks?.message.contains("makes translation scan") == true)

        // block; 1,000 values; 100,000 × (i32.const 0; br_if 0); 1,000 drops; end
        let branches: [UInt8] = Array(repeating: [0x41, 0x00, 0x0D, 0x00], count: 100_000).flatMap { $0 }
        var builder = WasmModuleBuilder()
        let open: [UInt8] = [0x02, 0x40]
        let close: [UInt8] = [0x0B]
        builder.actionCode = open + Self.push(1_000) + branches + Self.drop(1_000) + close
        let refusedBranches = Self.refusal(builder.bytes)
        #expect(refusedBranches?.message.contains("makes translation scan") == true)
    }

    @Test("an operand stack higher than the limit is refused, naming the function, its height and the limit")
    func stackHeight() throws {
        let limit = PluginModuleLimits().maxOperandStackHeight
        // The action's own result (an i64.const) stands on the drops' emptied stack: the height is the values alone.
        _ = try PluginModule(bytes: Self.module(height: limit, under: []))
        let refused = Self.refusal(Self.module(height: limit + 1, under: []))
        #expect(refused?.reason == .tooLarge)
        #expect(refused?.message.contains("(first at byte ") == true)
        #expect(refused?.message.hasSuffix(" of the module)") == true)
        #expect(
            refused?.message.hasPrefix(
                "function 1 (code body 1) holds up to \(limit + 1) values on its operand stack, more than the limit of "
                    + "\(limit) ")
                == true)
        // A lower limit refuses what the default accepts.
        let lower = Self.refusal(
            Self.module(height: 100, under: []), limits: PluginModuleLimits(maxOperandStackHeight: 99))
        #expect(lower?.message.contains("holds up to 100 values") == true)
    }

    @Test("the height is counted through calls, blocks and unreachable code as validation counts it")
    func heightModel() throws {
        var limits = PluginModuleLimits()
        limits.maxOperandStackHeight = 3
        // block (result i32) 1 2 3 drop drop end: 3 values at most, then 1; the action's own result stands alone.
        var builder = WasmModuleBuilder()
        builder.actionCode = [0x02, 0x7F, 0x41, 0x01, 0x41, 0x02, 0x41, 0x03, 0x1A, 0x1A, 0x0B, 0x1A]
        _ = try PluginModule(bytes: builder.bytes, limits: limits)
        // call annals_alloc (i32 -> i32) keeps one value: 1 2 3 call drop… stays at 3.
        builder.actionCode = [0x41, 0x01, 0x41, 0x02, 0x41, 0x03, 0x10, 0x00, 0x1A, 0x1A, 0x1A]
        _ = try PluginModule(bytes: builder.bytes, limits: limits)
        // After `unreachable` the block starts again from its base: 3 values, unreachable, 3 more.
        builder.actionCode = [0x02, 0x40, 0x41, 0x01, 0x41, 0x02, 0x41, 0x03, 0x00, 0x41, 0x01, 0x41, 0x02, 0x41, 0x03]
        builder.actionCode += [0x1A, 0x1A, 0x1A, 0x0B]
        _ = try PluginModule(bytes: builder.bytes, limits: limits)
        // Four values are one too many.
        builder.actionCode = [0x41, 0x01, 0x41, 0x02, 0x41, 0x03, 0x41, 0x04, 0x1A, 0x1A, 0x1A, 0x1A]
        #expect(Self.refusal(builder.bytes, limits: limits)?.message.contains("holds up to 4 values") == true)
    }

    @Test("a function declaring more locals than the limit is refused; at the limit it is accepted")
    func functionLocals() throws {
        let limit = PluginModuleLimits().maxFunctionLocals
        var builder = WasmModuleBuilder()
        builder.actionLocals = limit
        _ = try PluginModule(bytes: builder.bytes)
        // The review's module: 99,999 locals, initialized by every call without fuel.
        builder.actionLocals = 99_999
        let refused = Self.refusal(builder.bytes)
        #expect(refused?.reason == .tooLarge)
        #expect(
            refused?.message
                == "function 1 (code body 1) declares 99999 local variables, more than the limit of \(limit) per "
                + "function")
        builder.actionLocals = limit + 1
        #expect(Self.refusal(builder.bytes)?.message.contains("declares \(limit + 1) local variables") == true)
    }

    @Test("the example plugins stay far below every limit: a sixteenth of each still accepts them")
    func examplePlugins() throws {
        let defaults = PluginModuleLimits()
        let tight = PluginModuleLimits(
            maxFunctionLocals: defaults.maxFunctionLocals / 16,
            maxOperandStackHeight: defaults.maxOperandStackHeight / 16,
            maxOperandStackScan: defaults.maxOperandStackScan / 16)
        let names = try FileManager.default.contentsOfDirectory(atPath: Plugins.directory)
            .filter { $0.hasSuffix(".wasm") }.map { String($0.dropLast(".wasm".count)) }
        #expect(names.count >= 11, "run `make plugins` first")
        for name in names {
            #expect(throws: Never.self, "\(name)") {
                _ = try PluginModule(bytes: try Plugins.bytes(name), limits: tight)
            }
        }
    }
}
