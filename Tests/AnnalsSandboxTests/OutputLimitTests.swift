import AnnalsSandbox
import AnnalsTestSupport
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

    /// A module whose `run` returns `text`.
    private func returning(_ text: String) throws -> PluginModule {
        var builder = WasmModuleBuilder()
        builder.dataSegments = [(offset: 2048, bytes: Array(text.utf8))]
        builder.output = (2048, UInt32(text.utf8.count))
        return try PluginModule(bytes: builder.bytes)
    }

    @Test("an output the store's JSON reader would refuse (lone surrogates, nesting past 128) is invalid output")
    func outputsTheStoreCanRead() throws {
        for (text, reason) in [
            (#"{"x":"\ud800"}"#, "lone high surrogate"), (#"{"x":"\udc00"}"#, "lone low surrogate"),
            (#"{"x":"\ud800\u0041"}"#, "lone high surrogate"),
            (String(repeating: "[", count: 129) + String(repeating: "]", count: 129), "nested deeper than 128"),
        ] {
            let stopped = failure {
                try sandbox.invoke(module: try returning(text), action: "run", input: bytes("{}"), host: host)
            }
            #expect(stopped?.kind == .invalidOutput, "\(text.prefix(20))")
            #expect(stopped?.message.contains(reason) == true, "\(String(describing: stopped))")
        }
        for text in [#"{"x":"\ud83d\ude00"}"#, String(repeating: "[", count: 128) + String(repeating: "]", count: 128)]
        {
            let result = try sandbox.invoke(module: try returning(text), action: "run", input: bytes("{}"), host: host)
            #expect(result.output == Array(text.utf8))
        }
    }
}
