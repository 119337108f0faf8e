import AnnalsSandbox
import Foundation
import Testing

@Suite(
    "Worker processes",
    .enabled(
        if: annalsBinary != nil,
        "set ANNALS_BIN to the built annals binary (make test does) to run the worker-process tests"))
struct WorkerProcessTests {
    let sandbox = Sandbox(isolation: .workerProcesses(executable: annalsBinary ?? "", count: 2))

    @Test("a module whose initial memory is past the limit fails with memoryLimit, in a worker as in process")
    func initialMemoryPastTheLimit() throws {
        // The start-function test module with 300 initial pages instead of 1 (the default limit is 256), checked
        // for executions that may use 300 pages.
        var wasm = StartFunctionTests.loopingStart
        let memory = try #require(wasm.firstRange(of: [0x05, 0x03, 0x01, 0x00, 0x01]))
        wasm.replaceSubrange(memory, with: [0x05, 0x04, 0x01, 0x00, 0xAC, 0x02])
        let module = try PluginModule(bytes: wasm, limits: PluginModuleLimits(maxMemoryPages: 300))
        #expect(module.initialMemoryPages == 300)
        for sandbox in [sandbox, Sandbox()] {
            let stopped = failure {
                try sandbox.invoke(module: module, action: "run", input: bytes("{}"), host: InMemoryPluginHost())
            }
            #expect(stopped?.kind == .memoryLimit, "\(String(describing: stopped))")
        }
    }

    @Test("a plugin runs in a worker and its host calls reach the parent's host")
    func hostCallsProxied() throws {
        let module = try Plugins.load("event-counter")
        let host = InMemoryPluginHost()
        for expected in 1...3 {
            let result = try sandbox.invoke(
                module: module, action: "on_event", input: bytes(#"{"type":"tick"}"#), grants: [.kv], host: host)
            #expect(result.outputText == #"{"type":"tick","count":\#(expected)}"#)
            #expect(result.fuelUsed > 0)
        }
        #expect(host.values["count:tick"] == bytes("3"))
        let log = try Plugins.load("event-log")
        let appended = try sandbox.invoke(
            module: log, action: "emit", input: bytes(#"{"type":"x"}"#), grants: [.eventsAppend, .eventsRead],
            host: host)
        #expect(appended.outputText == #"{"offset":1}"#)
    }

    @Test("failures inside a worker keep their kind, and secrets stay protected")
    func failuresKeepTheirKind() throws {
        let host = InMemoryPluginHost(secrets: ["API_KEY": "s3cr3t-value"])
        let loop = failure {
            try sandbox.invoke(
                module: try! Plugins.load("infinite-loop"), action: "run", input: bytes("{}"), host: host,
                limits: SandboxLimits(fuel: 1_000_000))
        }
        #expect(loop?.kind == .outOfFuel)
        let denied = failure {
            try sandbox.invoke(
                module: try! Plugins.load("forbidden-import"), action: "length", input: bytes(#"{"name":"API_KEY"}"#),
                host: host)
        }
        #expect(denied?.kind == .permissionDenied)
        let leak = failure {
            try sandbox.invoke(
                module: try! Plugins.load("forbidden-import"), action: "leak", input: bytes(#"{"name":"API_KEY"}"#),
                grants: [.secretsRead("API_KEY")], host: host)
        }
        #expect(leak?.kind == .permissionDenied)
        #expect(leak.map { String(describing: $0).contains("s3cr3t-value") } == false)
        // A secret written to the store from a worker is refused there, before the host sees the write.
        for action in ["stash", "emit"] {
            let written = failure {
                try sandbox.invoke(
                    module: try! Plugins.load("secret-stash"), action: action, input: bytes(#"{"name":"API_KEY"}"#),
                    grants: [.secretsRead("API_KEY"), .kv, .eventsAppend], host: host)
            }
            #expect(written?.kind == .permissionDenied, "\(action)")
        }
        #expect(host.events.isEmpty && host.values.isEmpty)
        // A failure message is redacted on bytes: a combining mark after the value does not hide it.
        let probed = failure {
            try sandbox.invoke(
                module: try! Plugins.load("secret-stash"), action: "probe", input: bytes(#"{"name":"API_KEY"}"#),
                grants: [.secretsRead("API_KEY"), .kv, .eventsAppend], host: host)
        }
        #expect(probed?.kind == .permissionDenied)
        #expect(
            probed.map { Array($0.message.utf8).firstRange(of: Array("<secret API_KEY>".utf8)) != nil } == true,
            "\(String(describing: probed))")
        #expect(
            probed.map { Array(String(describing: $0).utf8).firstRange(of: Array("s3cr3t-value".utf8)) == nil } == true)
        try expectEchoWorks(sandbox)
    }

    @Test("the timeout stops a runaway loop inside a worker, and the worker is reused")
    func hardTimeout() throws {
        let module = try Plugins.load("infinite-loop")
        let host = InMemoryPluginHost()
        let started = Date()
        let stopped = failure {
            try sandbox.invoke(
                module: module, action: "run", input: bytes("{}"), host: host,
                limits: SandboxLimits(fuel: .max, timeout: .milliseconds(200)))
        }
        #expect(stopped?.kind == .timeout)
        #expect(Date().timeIntervalSince(started) < 15)
        try expectEchoWorks(sandbox)
    }

    @Test("a worker that never answers is killed with SIGKILL at the hard timeout")
    func hardKill() throws {
        let script = try writeExecutableScript(named: "annals-hang-\(getpid()).sh", "#!/bin/sh\nexec sleep 60\n")
        defer { try? FileManager.default.removeItem(at: script) }
        let hanging = Sandbox(isolation: .workerProcesses(executable: script.path, count: 1))
        let started = Date()
        let stopped = failure {
            try hanging.invoke(
                module: try Plugins.load("echo"), action: "echo", input: bytes("{}"), host: InMemoryPluginHost(),
                limits: SandboxLimits(timeout: .milliseconds(100)))
        }
        #expect(stopped?.kind == .timeout, "\(String(describing: stopped))")
        #expect(stopped?.message.contains("SIGKILL") == true)
        #expect(Date().timeIntervalSince(started) < 15)
    }

    @Test("a worker killed mid-execution is a trap naming the signal, and the pool replaces it")
    func crashIsolation() throws {
        let module = try Plugins.load("infinite-loop")
        let host = InMemoryPluginHost()
        let token = CancellationToken()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { token.cancel() }
        let cancelled = failure {
            try sandbox.invoke(
                module: module, action: "run", input: bytes("{}"), host: host,
                limits: SandboxLimits(fuel: .max, timeout: .seconds(30)), cancellation: token)
        }
        #expect(cancelled?.kind == .cancelled)

        // A worker whose CPU limit is one second is stopped by the kernel (SIGXCPU or SIGKILL), not by the sandbox.
        let script = try writeExecutableScript(
            named: "annals-worker-\(getpid()).sh",
            "#!/bin/sh\nexec \"\(annalsBinary ?? "")\" sandbox-worker --cpu-seconds 1\n")
        defer { try? FileManager.default.removeItem(at: script) }
        let limited = Sandbox(isolation: .workerProcesses(executable: script.path, count: 1))
        let crashed = failure {
            try limited.invoke(
                module: module, action: "run", input: bytes("{}"), host: host,
                limits: SandboxLimits(fuel: .max, timeout: .seconds(20)))
        }
        #expect(crashed?.kind == .trap)
        #expect(crashed?.message.contains("signal") == true, "\(String(describing: crashed))")
        try expectEchoWorks(limited)
    }
}
