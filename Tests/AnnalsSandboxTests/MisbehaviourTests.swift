import AnnalsSandbox
import Testing

@Suite("Misbehaving plugins stop with their failure kind and the host keeps working")
struct MisbehaviourTests {
    let sandbox = Sandbox()
    let host = InMemoryPluginHost()

    @Test("an infinite loop runs out of fuel")
    func infiniteLoop() throws {
        let module = try Plugins.load("infinite-loop")
        let stopped = failure {
            try sandbox.invoke(
                module: module, action: "run", input: bytes("{}"), host: host, limits: SandboxLimits(fuel: 1_000_000))
        }
        #expect(stopped?.kind == .outOfFuel)
        #expect(stopped?.usage.fuelUsed ?? 0 > 900_000)
        #expect(stopped?.usage.fuelUsed ?? .max <= 1_000_000)
        try expectEchoWorks(sandbox)
    }

    @Test("a memory bomb is stopped at the memory limit")
    func memoryBomb() throws {
        let module = try Plugins.load("memory-bomb")
        let stopped = failure {
            try sandbox.invoke(
                module: module, action: "run", input: bytes("{}"), host: host,
                limits: SandboxLimits(maxMemoryPages: 64))
        }
        #expect(stopped?.kind == .memoryLimit)
        #expect(stopped?.message.contains("64 pages") == true)
        #expect(stopped?.usage.peakMemoryBytes ?? .max <= 64 * 65_536)
        try expectEchoWorks(sandbox)
    }

    @Test("a module whose initial memory is over the limit is refused at instantiation")
    func initialMemoryOverLimit() throws {
        let module = try Plugins.load("echo")
        let stopped = failure {
            try sandbox.invoke(
                module: module, action: "echo", input: bytes("{}"), host: host, limits: SandboxLimits(maxMemoryPages: 1)
            )
        }
        #expect(stopped?.kind == .memoryLimit)
    }

    @Test("deep recursion traps with an exhausted call stack")
    func deepRecursion() throws {
        let module = try Plugins.load("deep-recursion")
        let stopped = failure { try sandbox.invoke(module: module, action: "run", input: bytes("{}"), host: host) }
        #expect(stopped?.kind == .trap)
        #expect(stopped?.message.contains("call stack exhausted") == true)
        try expectEchoWorks(sandbox)
    }

    @Test("unreachable and division by zero trap", arguments: ["unreachable", "divide"])
    func traps(action: String) throws {
        let module = try Plugins.load("trap")
        let stopped = failure { try sandbox.invoke(module: module, action: action, input: bytes("{}"), host: host) }
        #expect(stopped?.kind == .trap)
        #expect(stopped?.action == action)
        try expectEchoWorks(sandbox)
    }

    @Test("an output pointer outside memory traps")
    func badOutputPointer() throws {
        let module = try Plugins.load("echo")
        let stopped = failure {
            try sandbox.invoke(module: module, action: "bad_pointer", input: bytes("{}"), host: host)
        }
        #expect(stopped?.kind == .trap)
        #expect(stopped?.message.contains("outside linear memory") == true)
    }

    @Test("an unknown action is a trap naming the actions")
    func unknownAction() throws {
        let module = try Plugins.load("echo")
        let stopped = failure { try sandbox.invoke(module: module, action: "nope", input: bytes("{}"), host: host) }
        #expect(stopped?.kind == .trap)
        #expect(stopped?.message.contains("echo") == true)
    }
}
