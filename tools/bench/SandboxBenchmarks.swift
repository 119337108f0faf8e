import AnnalsSandbox
import WasmKit

/// `plugin.invoke.p50` (and `.p99`, and the throughput) and `plugin.runaway.stop`: the cost of running a plugin
/// action in the in-process sandbox.
///
/// `plugin.invoke` times ``Sandbox/invoke(module:action:input:grants:host:limits:cancellation:)`` of the `echo`
/// example plugin's `echo` action on a 40-byte JSON input, one call at a time after a warm-up: a fresh store and
/// instance, the input written through `annals_alloc`, the action, the output read and checked as JSON, with the
/// limits, the watchdog and the capability checks. The baseline, in the same run, is the bare WasmKit path that
/// does the same echo: a new store, instantiation of the same parsed module, `annals_alloc`, the action and the
/// output copied out, without limits, watchdog, checks or JSON validation.
///
/// `plugin.runaway.stop` is how long the `infinite-loop` plugin runs before a 10,000,000 fuel budget stops it
/// (median of a few runs, informational), against the same budget on bare WasmKit.
enum SandboxBenchmarks {
    /// The most the median invocation may take, in milliseconds.
    static let p50LimitMilliseconds = 1.0
    /// The fuel budget of the runaway loop.
    static let runawayFuel: UInt64 = 10_000_000

    /// Runs both benchmarks with the plugins compiled into `pluginsDirectory` (`make plugins`).
    /// - Throws: ``BenchError`` when a plugin is missing or an invocation does not behave.
    static func run(settings: BenchSettings, report: BenchReport, pluginsDirectory: String) throws {
        let echo = try load("echo", from: pluginsDirectory)
        let loop = try load("infinite-loop", from: pluginsDirectory)
        let sandbox = Sandbox()
        let host = InMemoryPluginHost()
        let input = Array(#"{"symbol":"BTC","amount":2,"note":"bench"}"#.utf8)
        let invocations = settings.name == "quick" ? 2_000 : 20_000

        progress("plugin.invoke: \(invocations) in-process invocations of echo.echo after a warm-up")
        for _ in 0..<200 { _ = try invokeEcho(sandbox, echo, input, host) }
        var sandboxed: [Double] = []
        sandboxed.reserveCapacity(invocations)
        let (_, sandboxSeconds) = try timed {
            for _ in 0..<invocations {
                let start = ContinuousClock.now
                _ = try invokeEcho(sandbox, echo, input, host)
                sandboxed.append(milliseconds(ContinuousClock.now - start))
            }
        }
        let samples = LatencySamples(milliseconds: sandboxed)
        progress("  \(samples.summary)")

        let bare = try BareWasmKitEcho(bytes: echo.bytes)
        for _ in 0..<200 { _ = try bare.call(input) }
        var direct: [Double] = []
        direct.reserveCapacity(invocations)
        let (_, bareSeconds) = try timed {
            for _ in 0..<invocations {
                let start = ContinuousClock.now
                _ = try bare.call(input)
                direct.append(milliseconds(ContinuousClock.now - start))
            }
        }
        let baseline = LatencySamples(milliseconds: direct)
        progress("  baseline, bare WasmKit: \(baseline.summary)")
        let baselineName = "bare WasmKit store+instantiate+call"
        report.recordPercentiles(
            "plugin.invoke", samples: samples,
            p50Target: AbsoluteTarget(direction: .atMost, limit: p50LimitMilliseconds, text: "<= 1 ms"),
            baseline: (baselineName, baseline))
        report.record(
            BenchFigure(
                name: "plugin.invoke.throughput", value: Double(invocations) / sandboxSeconds, unit: "invocations/s",
                baseline: baselineName, baselineValue: Double(invocations) / bareSeconds))

        let runs = settings.name == "quick" ? 3 : 7
        progress("plugin.runaway.stop: infinite-loop with \(runawayFuel) fuel, \(runs) runs")
        var stops: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            do {
                _ = try sandbox.invoke(
                    module: loop, action: "run", input: Array("{}".utf8), host: host,
                    limits: SandboxLimits(fuel: runawayFuel))
                throw BenchError(call: "Sandbox.invoke", code: 0, message: "the infinite loop returned")
            } catch let failure as SandboxFailure {
                guard failure.kind == .outOfFuel else {
                    throw BenchError(call: "Sandbox.invoke", code: 0, message: "expected outOfFuel: \(failure)")
                }
            }
            stops.append(milliseconds(ContinuousClock.now - start))
        }
        let bareLoop = try BareWasmKitEcho(bytes: loop.bytes, action: "action_run")
        var bareStops: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            let stopped = (try? bareLoop.call(Array("{}".utf8), fuel: runawayFuel)) == nil
            guard stopped else {
                throw BenchError(call: "Function.invoke", code: 0, message: "the bare infinite loop returned")
            }
            bareStops.append(milliseconds(ContinuousClock.now - start))
        }
        let stop = LatencySamples(milliseconds: stops).percentile(50)
        let bareStop = LatencySamples(milliseconds: bareStops).percentile(50)
        progress(
            "  stopped after \(fixedPoint(stop, decimals: 1)) ms; bare WasmKit \(fixedPoint(bareStop, decimals: 1)) ms")
        report.record(
            BenchFigure(
                name: "plugin.runaway.stop", value: stop, unit: "ms", baseline: "bare WasmKit, same fuel budget",
                baselineValue: bareStop))
    }

    private static func load(_ name: String, from directory: String) throws -> PluginModule {
        do {
            return try PluginModule(contentsOfFile: directory + "/" + name + ".wasm")
        } catch {
            throw BenchError(call: "PluginModule", code: 0, message: "\(error); run `make plugins` first")
        }
    }

    private static func invokeEcho(_ sandbox: Sandbox, _ module: PluginModule, _ input: [UInt8], _ host: any PluginHost)
        throws -> [UInt8]
    {
        let result = try sandbox.invoke(module: module, action: "echo", input: input, host: host)
        guard result.output == input else {
            throw BenchError(call: "Sandbox.invoke", code: 0, message: "echo returned \(result.outputText)")
        }
        return result.output
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}

/// The baseline: the same parsed module run on bare WasmKit (fuel metering on, since the sandbox's engine has it),
/// a new store and instance per call, without limits, watchdog, capability checks or output validation.
private struct BareWasmKitEcho {
    let module: Module
    let action: String
    let engine = Engine(configuration: EngineConfiguration(memoryBoundsChecking: .software, fuelMetering: true))

    init(bytes: [UInt8], action: String = "action_echo") throws {
        module = try parseWasm(bytes: bytes)
        self.action = action
    }

    func call(_ input: [UInt8], fuel: UInt64? = nil) throws -> [UInt8] {
        let store = Store(engine: engine)
        if let fuel { store.fuel = Fuel(remaining: fuel) }
        let instance = try module.instantiate(store: store)
        guard let memory = instance.exports[memory: "memory"], let alloc = instance.exports[function: "annals_alloc"],
            let function = instance.exports[function: action]
        else { throw BenchError(call: "Instance.exports", code: 0, message: "missing export") }
        let pointer = try alloc([.i32(UInt32(input.count))])[0].i32
        memory.withUnsafeMutableBufferPointer(offset: UInt(pointer), count: input.count) { $0.copyBytes(from: input) }
        let packed = try function([.i32(pointer), .i32(UInt32(input.count))])[0].i64
        return memory.withUnsafeBufferPointer(
            offset: UInt(packed >> 32), count: Int(UInt32(truncatingIfNeeded: packed))
        ) {
            Array($0)
        }
    }
}
