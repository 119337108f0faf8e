import Foundation
import Testing

/// `plugin dispatch --group ORG` for an organization none of whose plugins subscribes to events (or a mistyped one).
@Suite("CLI: plugin dispatch of an organization without subscriptions")
struct CLIPluginDispatchNoSubscriptionsTests {
    @Test func itSaysSoAndLeavesNoLockFile() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let result = try fx.run(["plugin", "dispatch", "--group", "acme-typo", "--store", fx.store])
            #expect(result.status == Exit.ok, "\(result)")
            #expect(try result.object().int("delivered") == 0, "\(result)")
            #expect(result.errors.contains("organization 'acme-typo' has no plugin subscribed to events"), "\(result)")
            let files = try FileManager.default.contentsOfDirectory(atPath: fx.store)
            #expect(!files.contains { $0.hasPrefix("dispatch-") }, "\(files)")
        }
    }
}
