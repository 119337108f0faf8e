import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

/// The peak memory counts only what was allocated, and an allocation that fails within the limit is a memory
/// failure, not a trap.
@Suite("Memory allocation")
struct MemoryAllocationTests {
    /// A module of one page whose `run` grows its memory by `pages` and returns `{}`.
    static func growing(by pages: UInt32) throws -> PluginModule {
        var builder = WasmModuleBuilder()
        builder.growPages = pages
        builder.dataSegments = [(offset: 2048, bytes: Array("{}".utf8))]
        builder.output = (2048, 2)
        return try PluginModule(bytes: builder.bytes)
    }

    @Test("a memory.grow that succeeds counts towards the peak")
    func grownPeak() throws {
        let result = try Sandbox().invoke(
            module: try Self.growing(by: 3), action: "run", input: [], host: InMemoryPluginHost())
        #expect(result.outputText == "{}")
        #expect(result.peakMemoryBytes == 4 * 65_536)
    }

    @Test(
        "in a worker, a memory.grow within the limit but past the address-space rlimit is memoryLimit, not counted",
        .enabled(if: annalsBinary != nil, "set ANNALS_BIN to the built annals binary (make test does)"))
    func growPastTheAddressSpace() throws {
        let sandbox = Sandbox(isolation: .workerProcesses(executable: annalsBinary ?? "", count: 1))
        // 20,001 pages are 1.22 GiB, within the 65,536-page limit but not within the worker's 1 GiB address space.
        let stopped = failure {
            try sandbox.invoke(
                module: try Self.growing(by: 20_000), action: "run", input: [], host: InMemoryPluginHost(),
                limits: SandboxLimits(maxMemoryPages: 65_536))
        }
        #expect(stopped?.kind == .memoryLimit, "\(String(describing: stopped))")
        #expect(
            stopped?.message
                == "memory.grow to 1310785536 bytes (20001 pages) could not be satisfied within the worker's "
                + "address-space limit of 1024 MiB (RLIMIT_AS)")
        #expect(stopped?.usage.peakMemoryBytes == 65_536)
        try expectEchoWorks(sandbox)
    }
}
