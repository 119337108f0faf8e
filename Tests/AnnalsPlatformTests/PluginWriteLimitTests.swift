import Annals
import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

@testable import AnnalsPlatform

/// What one execution may write through its host functions, and how large a plugin's kv state may grow
/// (``PluginWriteLimits``): a write past a limit is refused, writes nothing, and fails the execution, which is
/// still recorded.
@Suite("Plugin executions: write limits")
struct PluginWriteLimitTests {
    /// A plugin whose `run` appends `event` again and again, until a host call is refused.
    static func appender(_ event: String) -> BuiltPlugin {
        var module = WasmModuleBuilder()
        module.imports = [(name: "events_append", parameters: 4, results: 1)]
        module.dataSegments = [(offset: 40_960, bytes: Array(event.utf8))]
        module.calls = [(function: 0, arguments: [40_960, UInt32(event.utf8.count), 49_152, 256])]
        module.repeatsCalls = true
        return BuiltPlugin(name: "appender", module: module, permissions: ["events.append"])
    }

    /// Runs the installed `appender` under `writeLimits` and hands its outcome and the `tick` events it appended to
    /// `check`.
    func runAppender(
        _ event: String, writeLimits: PluginWriteLimits = PluginWriteLimits(),
        _ check: (EventStore, ExecutionOutcome, [RecordedEvent]) throws -> Void
    ) async throws {
        try await withPlatform { platform, directory in
            try await install([Self.appender(event)], in: platform, directory: directory)
            var limits = SandboxLimits()
            limits.timeout = .seconds(60)
            let runtime = PluginRuntime(store: platform.store, limits: limits, writeLimits: writeLimits)
            let outcome = try await runtime.run(
                "appender", action: "run", organization: "acme", input: "{}", actorId: "ana")
            var query = EventQuery()
            query.types = ["tick"]
            try check(platform.store, outcome, try platform.store.events(query).collect())
        }
    }

    @Test("a plugin appending in a loop is stopped at 1,000 writes, and the execution is recorded")
    func appendLoopStopsAtTheWriteLimit() async throws {
        try await runAppender(#"{"type":"tick","targetId":"ticks"}"#) { store, outcome, ticks in
            #expect(ticks.count == 1_000)
            #expect(ticks.allSatisfy { $0.metadata["plugin"]?["correlationId"]?.stringValue == outcome.id })
            #expect(outcome.failure?.kind == .trap)
            #expect(
                outcome.failure?.message.contains(
                    "write limit: this execution already made 1000 writes (events_append and kv_set), the most one "
                        + "execution may make (limit 1000)") == true, "\(outcome)")
            let recorded = try executionEvents(store, outcome.id)
            #expect(recorded.map(\.type) == ["plugin_action_initiated", "plugin_action_failed"])
            #expect(recorded.last?.metadata["errorKind"]?.stringValue == "trap")
        }
    }

    @Test("an execution is stopped at the bytes it may write")
    func appendLoopStopsAtTheByteLimit() async throws {
        let padding = String(repeating: "x", count: 1_000 - #"{"type":"tick","metadata":{"pad":""}}"#.utf8.count)
        let event = #"{"type":"tick","metadata":{"pad":"\#(padding)"}}"#
        #expect(event.utf8.count == 1_000)
        try await runAppender(event, writeLimits: PluginWriteLimits(maxBytes: 10_500)) { _, outcome, ticks in
            #expect(ticks.count == 10)
            #expect(
                outcome.failure?.message.contains(
                    "write limit: this write of 1000 bytes would bring what this execution wrote to 11000 bytes "
                        + "(limit 10500 bytes per execution)") == true, "\(outcome)")
        }
    }

    /// A host of plugin `p` in `acme` under `writeLimits`, as one execution has it.
    func withHost(
        _ writeLimits: PluginWriteLimits, _ body: (PluginPlatform, PlatformPluginHost) async throws -> Void
    ) async throws {
        try await withPlatform { platform, _ in
            try await body(
                platform,
                PlatformPluginHost(
                    store: platform.store, secrets: StaticSecrets(), organization: "acme", plugin: "p",
                    correlationId: "c", writeLimits: writeLimits))
        }
    }

    @Test("events_append and kv_set count together toward the writes of an execution")
    func appendsAndKVSetsCountTogether() async throws {
        try await withHost(PluginWriteLimits(maxWrites: 2)) { platform, host in
            _ = try host.appendEvent(Array(#"{"type":"tick"}"#.utf8))
            // A refused write is not counted.
            #expect(throws: HostCallError.self) { try host.kvSet("k", [0xFF]) }
            try host.kvSet("k", Array("v".utf8))
            let head = try platform.store.head().offset
            #expect {
                try host.kvSet("k", Array("w".utf8))
            } throws: { error in
                "\(error)".hasPrefix("write limit: this execution already made 2 writes")
            }
            #expect(throws: HostCallError.self) { try host.appendEvent(Array(#"{"type":"tick"}"#.utf8)) }
            #expect(try platform.store.head().offset == head)
        }
    }

    /// A plugin whose `run` sets the keys `k1`, `k2` and `k3` to 400,000 bytes each, in that order.
    static var kvHog: BuiltPlugin {
        var module = WasmModuleBuilder()
        module.memoryPages = 8
        module.imports = [(name: "kv_set", parameters: 4, results: 0)]
        module.dataSegments = [
            (offset: 40_000, bytes: Array("{}k1k2k3".utf8)),
            (offset: 65_536, bytes: Array(repeating: UInt8(ascii: "a"), count: 400_000)),
        ]
        module.output = (40_000, 2)
        module.calls = [40_002, 40_004, 40_006].map { (function: 0, arguments: [$0, 2, 65_536, 400_000]) }
        return BuiltPlugin(name: "kv-hog", module: module, permissions: ["kv"])
    }

    @Test("a kv_set that would take the plugin's kv state past 1 MiB is refused and writes nothing")
    func kvStateCap() async throws {
        try await withPlatform { platform, directory in
            try await install([Self.kvHog], in: platform, directory: directory)
            let store = platform.store
            let runtime = PluginRuntime(store: store)
            func kvWrites() throws -> Int { try store.stream("kv:acme:kv-hog").collect().count }

            let first = try await runtime.run("kv-hog", action: "run", organization: "acme", input: "{}", actorId: "a")
            #expect(first.failure?.kind == .trap)
            #expect(
                first.failure?.message.contains(
                    "kv state limit: after this kv_set the kv state of kv-hog in acme would be 1200006 bytes of keys "
                        + "and values (limit 1048576 bytes); nothing was stored") == true, "\(first)")
            #expect(try kvWrites() == 2)
            let state = try #require(try store.thing("kv:acme:kv-hog")?.properties.objectValue)
            #expect(state.keys.sorted() == ["k1", "k2"])
            #expect(try executionEvents(store, first.id).last?.type == "plugin_action_failed")

            // Setting k1 and k2 again keeps the state at its size, so they are written; k3 is refused again, and
            // the store holds no k3 however often the plugin tries.
            let second = try await runtime.run("kv-hog", action: "run", organization: "acme", input: "{}", actorId: "a")
            #expect(second.failure?.message.contains("would be 1200006 bytes") == true, "\(second)")
            #expect(try kvWrites() == 4)
            #expect(try store.thing("kv:acme:kv-hog")?.properties["k3"] == nil)
        }
    }

    @Test("the kv state counts its keys' and values' UTF-8 bytes, whatever their JSON escapes")
    func kvStateBytes() async throws {
        try await withHost(PluginWriteLimits(maxKVStateBytes: 20)) { platform, host in
            try host.kvSet("é", Array("\"\n\"".utf8))  // 2 + 3 bytes, more in JSON
            try host.kvSet("b", Array("0123456789".utf8))  // 16 bytes in all
            let thing = try platform.store.thing("kv:acme:p")
            #expect(PlatformPluginHost.kvStateBytes(thing, setting: "b", valueBytes: 0) == 6)
            #expect(PlatformPluginHost.kvStateBytes(thing, setting: "c", valueBytes: 3) == 20)
            try host.kvSet("c", Array("xyz".utf8))  // exactly 20
            #expect {
                try host.kvSet("d", [])
            } throws: { error in
                "\(error)".contains("would be 21 bytes of keys and values (limit 20 bytes)")
            }
            try host.kvSet("b", [])  // smaller: allowed
        }
    }

    @Test("executions setting the same plugin's kv state at once cannot take it past its limit together")
    func concurrentKVSets() async throws {
        try await withPlatform { platform, _ in
            let hosts = (0..<4).map { index in
                PlatformPluginHost(
                    store: platform.store, secrets: StaticSecrets(), organization: "acme", plugin: "p",
                    correlationId: "c\(index)")
            }
            let value = Array(repeating: UInt8(ascii: "v"), count: 600_000)
            let stored = await withTaskGroup(of: Bool.self) { group in
                for (index, host) in hosts.enumerated() {
                    group.addTask { (try? host.kvSet("k\(index)", value)) != nil }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(stored == 1)
            let state = try #require(try platform.store.thing("kv:acme:p"))
            #expect(PlatformPluginHost.kvStateBytes(state, setting: "none", valueBytes: 0) - 4 <= 1 << 20)
        }
    }
}
