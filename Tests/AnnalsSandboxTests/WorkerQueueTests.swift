import AnnalsSandbox
import Dispatch
import Foundation
import Testing

/// An execution that waits for a free worker (every worker of the pool busy) is timed from when it gets one, and a
/// cancellation reaches it while it waits.
@Suite(
    "Worker processes: waiting for a free worker",
    .enabled(
        if: annalsBinary != nil,
        "set ANNALS_BIN to the built annals binary (make test does) to run the worker-process tests"))
struct WorkerQueueTests {
    /// A host whose `events_read` holds the execution making it until ``release()``: an execution of `event-log`'s
    /// `recent` through it keeps the pool's worker busy for as long as a test wants, and says when it has it.
    private final class HoldingHost: PluginHost, @unchecked Sendable {
        /// The holding execution did not reach its host call.
        struct NeverCalled: Error {}

        let entered = DispatchSemaphore(value: 0)
        private let released = DispatchSemaphore(value: 0)

        func release() { released.signal() }
        func readEvents(_ requestJSON: [UInt8]) throws -> [UInt8] {
            entered.signal()
            released.wait()
            return Array("[]".utf8)
        }
        func appendEvent(_ eventJSON: [UInt8]) throws -> [UInt8] { Array("{}".utf8) }
        func kvGet(_ key: String) throws -> [UInt8]? { nil }
        func kvSet(_ key: String, _ value: [UInt8]) throws {}
        func secret(named: String) throws -> String? { nil }
    }

    /// Holds `sandbox`'s only worker with an execution blocked in a host call, runs `second` while it is held
    /// (releasing the holder after `holdSeconds`), and returns the second's failure and the seconds it took.
    private func whileHeld(
        _ sandbox: Sandbox, holdSeconds: Double, _ second: () -> SandboxFailure?
    ) throws -> (failure: SandboxFailure?, seconds: Double) {
        let module = try Plugins.load("event-log")
        let host = HoldingHost()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? sandbox.invoke(
                module: module, action: "recent", input: bytes("{}"), grants: [.eventsRead, .eventsAppend], host: host,
                limits: SandboxLimits(timeout: .seconds(30)))
            done.signal()
        }
        guard host.entered.wait(timeout: .now() + 60) == .success else {
            host.release()
            throw HoldingHost.NeverCalled()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + holdSeconds) { host.release() }
        let started = Date()
        let failure = second()
        let seconds = Date().timeIntervalSince(started)
        done.wait()
        return (failure, seconds)
    }

    @Test("the time limit starts once a worker is free: a queued execution gets its whole time, not a SIGKILL")
    func timeLimitStartsWithTheWorker() throws {
        let module = try Plugins.load("infinite-loop")
        let sandbox = Sandbox(isolation: .workerProcesses(executable: annalsBinary ?? "", count: 1))
        let (second, seconds) = try whileHeld(sandbox, holdSeconds: 1.5) {
            failure {
                try sandbox.invoke(
                    module: module, action: "run", input: bytes("{}"), host: InMemoryPluginHost(),
                    limits: SandboxLimits(fuel: .max, timeout: .milliseconds(1_500)))
            }
        }
        #expect(second?.kind == .timeout, "\(String(describing: second))")
        #expect(second?.message.contains("SIGKILL") == false, "\(String(describing: second))")
        #expect((second?.usage.fuelUsed ?? 0) > 0, "it ran: \(String(describing: second))")
        #expect(seconds >= 2.9, "it waited 1.5 s for the worker, then ran 1.5 s: \(seconds) s")
    }

    @Test("an execution cancelled while it waits for a worker fails at once, not once the worker is free")
    func cancelledWhileWaiting() throws {
        let module = try Plugins.load("infinite-loop")
        let sandbox = Sandbox(isolation: .workerProcesses(executable: annalsBinary ?? "", count: 1))
        let token = CancellationToken()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { token.cancel() }
        let (second, seconds) = try whileHeld(sandbox, holdSeconds: 3) {
            failure {
                try sandbox.invoke(
                    module: module, action: "run", input: bytes("{}"), host: InMemoryPluginHost(),
                    limits: SandboxLimits(fuel: .max, timeout: .seconds(3)), cancellation: token)
            }
        }
        #expect(second?.kind == .cancelled)
        #expect(second?.message == "cancelled while it waited for a free worker process")
        #expect(seconds < 2, "the worker is held for 3 s: \(seconds) s")
    }
}
