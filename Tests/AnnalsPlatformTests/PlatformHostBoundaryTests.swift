import Annals
import AnnalsSandbox
import Foundation
import Testing

@testable import AnnalsPlatform

/// What a plugin's host functions may not reach: the platform's own streams and events, however it asks.
@Suite("Plugin host boundaries")
struct PlatformHostBoundaryTests {
    @Test("a plugin can neither append to the platform's streams nor read its events")
    func platformStreamsAreOutOfReach() async throws {
        try await withPlatform { platform, _ in
            let host = PlatformPluginHost(
                store: platform.store, secrets: StaticSecrets(), organization: "acme", plugin: "p", correlationId: "c")
            for target in [
                "execution:abc", "job-cancel:abc", "install:acme:x", "kv:acme:other", "dead-letter:acme:x:1",
            ] {
                #expect(throws: HostCallError.self, "\(target)") {
                    try host.appendEvent(Array(#"{"type":"noise","targetId":"\#(target)"}"#.utf8))
                }
            }
            _ = try host.appendEvent(Array(#"{"type":"noise","targetId":"order-1"}"#.utf8))
            try host.kvSet("token", Array("acme-private-value".utf8))
            _ = try await platform.store.append(
                NewEvent(type: ExecutionEventType.initiated, targetId: "execution:other", groupId: "acme"))
            let visible = String(decoding: try host.readEvents(Array("{}".utf8)), as: UTF8.self)
            #expect(visible.contains("order-1"))
            #expect(!visible.contains("acme-private-value") && !visible.contains("execution:other"), "\(visible)")
            let things = String(decoding: try host.readEvents(Array(#"{"types":["thing.*"]}"#.utf8)), as: UTF8.self)
            #expect(things == "[]")
        }
    }

    @Test("a plugin appends only to streams its organization began, or new ones")
    func anotherOrganizationsStreamIsOutOfReach() async throws {
        try await withPlatform { platform, _ in
            let store = platform.store
            _ = try await store.append(NewEvent(type: "order.placed", targetId: "order-b", groupId: "beta"))
            _ = try await store.append(NewEvent(type: "order.placed", targetId: "no-group"))
            _ = try await store.append(NewEvent(type: "order.placed", targetId: "order-a", groupId: "acme"))
            let host = PlatformPluginHost(
                store: store, secrets: StaticSecrets(), organization: "acme", plugin: "p", correlationId: "c")
            for target in ["order-b", "no-group"] {
                #expect {
                    try host.appendEvent(Array(#"{"type":"order.refunded","targetId":"\#(target)"}"#.utf8))
                } throws: { error in
                    let message = String(describing: error)
                    return message.contains("'\(target)' was begun outside 'acme'") && !message.contains("beta")
                }
            }
            #expect(try store.version(of: "order-b") == 1 && store.version(of: "no-group") == 1)
            // Its own organization's stream, and a new one (which it begins, so it is acme's from then on).
            _ = try host.appendEvent(Array(#"{"type":"order.refunded","targetId":"order-a"}"#.utf8))
            _ = try host.appendEvent(Array(#"{"type":"note.made","targetId":"fresh"}"#.utf8))
            _ = try host.appendEvent(Array(#"{"type":"note.made","targetId":"fresh"}"#.utf8))
            #expect(try store.version(of: "order-a") == 2 && store.version(of: "fresh") == 2)
        }
    }

    @Test("a message the plugin controls is cut before it reaches the audit trail")
    func messagesAreBounded() async throws {
        try await withPlatform { platform, _ in
            let host = PlatformPluginHost(
                store: platform.store, secrets: StaticSecrets(), organization: "acme", plugin: "p", correlationId: "c")
            let huge = String(repeating: "!", count: 200_000)
            do {
                _ = try host.readEvents(Array(#"{"types":["\#(huge)"]}"#.utf8))
                Issue.record("an invalid pattern was accepted")
            } catch {
                #expect(String(describing: error).utf8.count < 400)
            }
            let recorded = ExecutionEvents.recordable(String(repeating: "é", count: 5_000))
            #expect(recorded.utf8.count < ExecutionEvents.maximumMessageBytes + 40)
            #expect(recorded.hasSuffix("(cut; 10000 bytes)"))
        }
    }

    @Test("only a plugin_job_cancel_requested event cancels a job")
    func onlyACancelRequestCancels() async throws {
        try await withPlatform { platform, _ in
            let runtime = PluginRuntime(store: platform.store)
            _ = try await platform.store.append(NewEvent(type: "harmless.note", targetId: "job-cancel:J1"))
            #expect(try runtime.cancelRequested("J1") == false)
            _ = try await platform.store.append(
                NewEvent(type: ExecutionEventType.jobCancelRequested, targetId: "job-cancel:J1"))
            #expect(try runtime.cancelRequested("J1"))
        }
    }
}
