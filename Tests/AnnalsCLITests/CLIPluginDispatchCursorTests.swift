import Foundation
import Testing

/// `annals cursors reset` and `delete` of a plugin's cursor (`plugin:ORG:NAME`) while `plugin dispatch` delivers to
/// it: the change is kept, and the next pass delivers from it.
@Suite("CLI: cursors reset during plugin dispatch")
struct CLIPluginDispatchCursorTests {
    /// The failed executions recorded for acme so far.
    static func failures(_ fx: CLIFixture) throws -> Int {
        try fx.annals("read", "--type", "plugin_action_failed", "--group", "acme").lines.count
    }

    /// A reset backwards while a pass waits to retry a failed delivery (flaky-counter fails every one) was undone by
    /// the pass's next acknowledgement, which only moves a cursor forward: `cursors reset` printed the cursor at the
    /// reset offset and exited 0, and the events it was meant to deliver again never were.
    @Test(.timeLimit(.minutes(10)))
    func aResetDuringAPassIsKeptAndDeliveredFrom() throws {
        try withPlugins(["flaky-counter"]) { fx in
            let cursor = "plugin:acme:flaky-counter"
            let first = try #require(
                try fx.append([#"{"type":"order.created","groupId":"acme","targetId":"order-1"}"#])[0].int("offset"))
            let once = try fx.annals("plugin", "dispatch", "--max-attempts", "1")
            #expect(try once.object().int("deadLettered") == 1, "\(once)")
            let passed = try #require(try fx.cursor(cursor)?.int("offset"))
            #expect(passed >= first)
            try fx.append([#"{"type":"order.created","groupId":"acme","targetId":"order-2"}"#])

            // The pass fails its first attempt at order-2, then waits 3 s before the second.
            let dispatch = try fx.start(
                ["plugin", "dispatch", "--max-attempts", "2", "--backoff-ms", "3000", "--store", fx.store])
            let failedOnce = try waitUntil(timeout: 60, interval: 0.05) { try Self.failures(fx) == 2 }
            try #require(failedOnce, "the pass's first attempt failed")
            let reset = try fx.annals("cursors", "reset", cursor, "--to", "\(first - 1)")
            #expect(reset.status == Exit.ok, "\(reset)")
            let report = dispatch.finish(timeout: 60)
            #expect(report.status == Exit.ok, "\(report)")
            #expect(report.output.contains("was reset or deleted during the pass"), "\(report)")

            #expect(try fx.cursor(cursor)?.int("offset") == first - 1, "the reset is kept")
            let again = try fx.annals("plugin", "dispatch", "--max-attempts", "1")
            #expect(try again.object().int("deadLettered") == 2, "order-1 and order-2 are delivered again: \(again)")
        }
    }
}
