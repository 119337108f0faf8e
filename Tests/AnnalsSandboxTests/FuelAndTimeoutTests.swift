import AnnalsSandbox
import Foundation
import Synchronization
import Testing

@Suite("Fuel, timeout and cancellation")
struct FuelAndTimeoutTests {
    let sandbox = Sandbox()
    let host = InMemoryPluginHost()

    @Test("fuel used is reported and an execution fails exactly when the budget is short")
    func fuelAccounting() throws {
        let module = try Plugins.load("price-quote")
        let input = bytes(#"{"symbol":"ETH","amount":3}"#)
        let result = try sandbox.invoke(module: module, action: "quote", input: input, host: host)
        #expect(result.fuelUsed > 100)
        let enough = try sandbox.invoke(
            module: module, action: "quote", input: input, host: host, limits: SandboxLimits(fuel: result.fuelUsed))
        #expect(enough.fuelUsed == result.fuelUsed)
        let short = failure {
            try sandbox.invoke(
                module: module, action: "quote", input: input, host: host,
                limits: SandboxLimits(fuel: result.fuelUsed / 2))
        }
        #expect(short?.kind == .outOfFuel)
    }

    @Test("the timeout stops a loop that has effectively unlimited fuel")
    func timeout() throws {
        let module = try Plugins.load("infinite-loop")
        let started = Date()
        let stopped = failure {
            try sandbox.invoke(
                module: module, action: "run", input: bytes("{}"), host: host,
                limits: SandboxLimits(fuel: .max, timeout: .milliseconds(200)))
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(stopped?.kind == .timeout)
        #expect(elapsed < 10, "stopped after \(elapsed) s")
        #expect((stopped?.usage.duration ?? .zero) >= Duration.milliseconds(200))
        #expect(stopped?.usage.fuelUsed ?? 0 > 0)
        try expectEchoWorks(sandbox)
    }

    @Test("a cancellation token stops a running execution from another thread")
    func cancellation() throws {
        let module = try Plugins.load("infinite-loop")
        let token = CancellationToken()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { token.cancel() }
        let stopped = failure {
            try sandbox.invoke(
                module: module, action: "run", input: bytes("{}"), host: host,
                limits: SandboxLimits(fuel: .max, timeout: .seconds(30)), cancellation: token)
        }
        #expect(stopped?.kind == .cancelled)
        let again = failure {
            try sandbox.invoke(module: module, action: "run", input: bytes("{}"), host: host, cancellation: token)
        }
        #expect(again?.kind == .cancelled)
        try expectEchoWorks(sandbox)
    }

    @Test("concurrent executions are independent")
    func concurrent() throws {
        let module = try Plugins.load("price-quote")
        let sandbox = self.sandbox
        let host = self.host
        let outputs = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            let result = try? sandbox.invoke(
                module: module, action: "quote", input: bytes(#"{"symbol":"SOL","amount":\#(index)}"#), host: host)
            outputs.withLock { $0.append(result?.outputText ?? "failed") }
        }
        #expect(outputs.withLock { $0.count } == 16)
        #expect(outputs.withLock { $0.allSatisfy { $0.hasPrefix(#"{"symbol":"SOL""#) } })
    }
}
