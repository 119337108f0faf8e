import AnnalsSandbox
import AnnalsTestSupport
import Testing

/// `try_table` catch clauses cost the host outside every limit: each is registered, unmetered, every time its block
/// is entered; translating them takes time in proportion to their number squared; and WasmKit adds up those of the
/// blocks a branch leaves in 16 bits, so enough of them stopped the host process on an overflow while the module was
/// checked, before any execution was recorded. The module check bounds them.
@Suite("try_table catch clause limits")
struct CatchClauseLimitTests {
    /// A plugin whose action opens a `block`, then `nested` `try_table`s of `catches` `catch_all` clauses each (each
    /// to the block or `try_table` around it), and, if `branchOut`, branches out of all of them to the block.
    private static func module(nested: Int, catches: Int, branchOut: Bool = true) -> [UInt8] {
        var code: [UInt8] = [0x02, 0x40]
        for _ in 0..<nested {
            code +=
                [0x1F, 0x40] + WasmModuleBuilder.unsigned(catches)
                + Array(repeating: [0x02, 0x00], count: catches).flatMap { $0 }
        }
        if branchOut { code += [0x0C] + WasmModuleBuilder.unsigned(nested) }
        code += Array(repeating: 0x0B, count: nested + 1)
        var builder = WasmModuleBuilder()
        builder.actionCode = code
        return builder.bytes
    }

    @Test("a try_table of up to 16 catch clauses is accepted; one of 17 is refused, naming the limit")
    func clausesPerTryTable() throws {
        let limits = PluginModuleLimits()
        #expect(try PluginModule(bytes: Self.module(nested: 1, catches: limits.maxCatchClauses)).actions == ["run"])
        let refused = moduleRefusal(Self.module(nested: 1, catches: limits.maxCatchClauses + 1))
        #expect(refused?.reason == .tooLarge)
        #expect(
            refused?.message.hasPrefix(
                "function body 1 has a try_table of 17 catch clauses, more than the limit of 16 (at byte ") == true,
            "\(String(describing: refused))")
    }

    @Test("the catch clauses of the try_tables open at once are limited together")
    func openClauses() throws {
        let limits = PluginModuleLimits()
        let within = limits.maxOpenCatchClauses / limits.maxCatchClauses
        #expect(
            try PluginModule(bytes: Self.module(nested: within, catches: limits.maxCatchClauses)).actions == ["run"])
        let refused = moduleRefusal(Self.module(nested: within + 1, catches: limits.maxCatchClauses))
        #expect(refused?.reason == .tooLarge)
        #expect(
            refused?.message.hasPrefix(
                "function body 1 has try_tables open at once with 272 catch clauses in all, more than the limit of 256")
                == true, "\(String(describing: refused))")
    }

    @Test(
        "the review's module, a branch out of two try_tables of 40,000 clauses, is refused instead of stopping the host"
    )
    func sixteenBitOverflow() throws {
        let module = Self.module(nested: 2, catches: 40_000)
        #expect(moduleRefusal(module)?.reason == .tooLarge)
        // Even with the limits raised past what WasmKit can count, the check refuses it rather than translating it.
        let raised = PluginModuleLimits(maxCatchClauses: 40_000, maxOpenCatchClauses: 1_000_000)
        let refused = moduleRefusal(module, limits: raised)
        #expect(refused?.reason == .tooLarge)
        #expect(refused?.message.contains("more than the limit of 65535") == true, "\(String(describing: refused))")
    }
}
