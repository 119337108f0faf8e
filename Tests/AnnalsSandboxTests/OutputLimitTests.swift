import AnnalsSandbox
import Testing

@Suite("Output checks")
struct OutputLimitTests {
    let sandbox = Sandbox()
    let host = InMemoryPluginHost()

    @Test("an output over the size limit is invalid output")
    func oversized() throws {
        let module = try Plugins.load("oversized-output")
        let stopped = failure { try sandbox.invoke(module: module, action: "run", input: bytes("{}"), host: host) }
        #expect(stopped?.kind == .invalidOutput)
        #expect(stopped?.message.contains("1048576") == true)
        try expectEchoWorks(sandbox)
    }

    @Test("the size limit is configurable, and an output at the limit passes")
    func configurableLimit() throws {
        let module = try Plugins.load("oversized-output")
        let limits = SandboxLimits(maxOutputBytes: 1_000)
        let exact = try sandbox.invoke(
            module: module, action: "run", input: bytes(#"{"bytes":1000}"#), host: host, limits: limits)
        #expect(exact.output.count == 1_000)
        let over = failure {
            try sandbox.invoke(
                module: module, action: "run", input: bytes(#"{"bytes":1001}"#), host: host, limits: limits)
        }
        #expect(over?.kind == .invalidOutput)
    }

    @Test("an output that is not JSON is invalid output")
    func notJSON() throws {
        let module = try Plugins.load("echo")
        let stopped = failure { try sandbox.invoke(module: module, action: "not_json", input: bytes("{}"), host: host) }
        #expect(stopped?.kind == .invalidOutput)
        #expect(stopped?.message.contains("not JSON") == true)
        let echoed = failure { try sandbox.invoke(module: module, action: "echo", input: bytes("[1,2"), host: host) }
        #expect(echoed?.kind == .invalidOutput)
    }
}
