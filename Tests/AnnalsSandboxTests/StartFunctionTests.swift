import AnnalsSandbox
import Foundation
import Testing

/// A module's start function runs under an execution's limits only, never while the host checks the module.
@Suite("Start functions")
struct StartFunctionTests {
    /// A module exporting `memory`, `annals_alloc` and `action_run`, whose start function loops for ever.
    static let loopingStart: [UInt8] =
        [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        // Types: (i32) -> i32, (i32, i32) -> i64, () -> ().
        + [0x01, 0x0F, 0x03, 0x60, 0x01, 0x7F, 0x01, 0x7F, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7E, 0x60, 0x00, 0x00]
        // Functions 0, 1 and 2 of those types; one memory of one page.
        + [0x03, 0x04, 0x03, 0x00, 0x01, 0x02] + [0x05, 0x03, 0x01, 0x00, 0x01]
        // Exports: memory, annals_alloc (function 0), action_run (function 1).
        + [0x07, 0x26, 0x03, 0x06] + Array("memory".utf8) + [0x02, 0x00, 0x0C] + Array("annals_alloc".utf8)
        + [0x00, 0x00, 0x0A] + Array("action_run".utf8) + [0x00, 0x01]
        // Start: function 2.
        + [0x08, 0x01, 0x02]
        // Code: i32.const 1024; i64.const 0; loop br 0 end.
        + [0x0A, 0x14, 0x03, 0x05, 0x00, 0x41, 0x80, 0x08, 0x0B, 0x04, 0x00, 0x42, 0x00, 0x0B]
        + [0x07, 0x00, 0x03, 0x40, 0x0C, 0x00, 0x0B, 0x0B]

    @Test("checking a module does not run its start function; an execution runs it under its limits")
    func startRunsOnlyUnderLimits() throws {
        let started = Date()
        let module = try PluginModule(bytes: Self.loopingStart)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(module.actions == ["run"])
        let stopped = failure {
            try Sandbox().invoke(
                module: module, action: "run", input: bytes("{}"), host: InMemoryPluginHost(),
                limits: SandboxLimits(fuel: 1_000_000, timeout: .seconds(5)))
        }
        #expect(stopped?.kind == .outOfFuel || stopped?.kind == .timeout, "\(String(describing: stopped))")
    }
}
