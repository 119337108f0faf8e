import Foundation
import Testing

/// `plugin dispatch --follow` looked for a stop signal only between passes, so a pass that waited out a retry's
/// backoff (up to 30 s an attempt) kept running after SIGINT, and then dead-lettered the event. A stop now cancels the
/// pass at once during a backoff, and the event waits for the next dispatcher.
@Suite("CLI: plugin dispatch --follow stopped during a retry")
struct CLIPluginDispatchStopTests {
    @Test("SIGINT during a retry's backoff stops --follow at once, exit 0; the event is not dead-lettered")
    func stopDuringBackoff() throws {
        try withPlugins(["flaky-counter"]) { fx in
            try fx.append([#"{"type":"order.created","groupId":"acme","targetId":"order-1"}"#])
            // The handler always traps; each retry would wait 30 s (the cap), four of them before a dead letter.
            let follower = try fx.startUnblocked([
                "plugin", "dispatch", "--follow", "--backoff-ms", "60000", "--store", fx.store,
            ])
            #expect(
                try waitUntil(timeout: 60, interval: 0.1) {
                    try fx.annals("read", "--type", "plugin_action_failed").lines.count == 1
                })
            follower.kill(SIGINT)
            // Well before the first retry (30 s), however loaded the machine.
            let stopped = follower.finish(timeout: 25)
            #expect(stopped.status == Exit.ok && !stopped.signaled, "\(stopped)")
            #expect(try fx.annals("plugin", "dead-letters", "--group", "acme").lines.isEmpty)

            // The next dispatcher delivers it again, from its first attempt.
            let again = try fx.annals("plugin", "dispatch", "--max-attempts", "1")
            #expect(try again.object().int("deadLettered") == 1, "\(again)")
        }
    }
}
