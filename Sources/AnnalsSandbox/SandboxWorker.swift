import CAnnalsSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The limits a worker process sets on itself when it starts.
public struct WorkerProcessLimits: Sendable, Equatable {
    /// The most virtual memory the worker may map (`RLIMIT_AS`), in bytes.
    public var addressSpaceBytes: Int
    /// The most CPU time the worker may use over its life (`RLIMIT_CPU`), in seconds; the pool replaces a worker
    /// the kernel stops.
    public var cpuSeconds: Int

    /// Creates limits; the defaults are 1 GiB of address space and one hour of CPU time.
    public init(addressSpaceBytes: Int = 1 << 30, cpuSeconds: Int = 3_600) {
        self.addressSpaceBytes = addressSpaceBytes
        self.cpuSeconds = cpuSeconds
    }
}

/// The worker side of process isolation: what `annals sandbox-worker` runs.
///
/// It sets its rlimits (and no core dumps), then serves frames on standard input and output until the parent
/// closes the connection: loads modules, runs executions in process, and proxies host calls to the parent.
public enum SandboxWorker {
    /// Serves the parent on file descriptors 0 and 1 (one socket); returns the exit status.
    ///
    /// The worker dies with its parent: it asks the kernel for SIGKILL when the parent goes
    /// (`PR_SET_PDEATHSIG`), then returns at once (status 0) if `parent` is given and is no longer its parent (it
    /// died before the request was made).
    /// - Parameters:
    ///   - limits: The rlimits the worker sets on itself.
    ///   - parent: The pid of the process that started the worker, if known.
    public static func run(limits: WorkerProcessLimits = WorkerProcessLimits(), parent: Int32? = nil) -> Int32 {
        _ = annals_set_parent_death_signal(SIGKILL)
        if let parent, getppid() != parent { return 0 }
        signal(SIGPIPE, SIG_IGN)
        setLimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), 0)
        setLimit(__rlimit_resource_t(RLIMIT_AS.rawValue), UInt64(limits.addressSpaceBytes))
        setLimit(__rlimit_resource_t(RLIMIT_CPU.rawValue), UInt64(limits.cpuSeconds))
        var modules: [UInt64: PluginModule] = [:]
        let connection = WorkerConnection(fd: 0)
        do {
            while let frame = try readFrame(0) {
                var reader = FrameReader(frame)
                switch reader.message {
                case .load:
                    let identity = try reader.integer(UInt64.self)
                    // A module the parent validated; an error here reaches the parent when it is invoked.
                    modules[identity] = try? PluginModule(checkedBytes: try reader.data())
                case .invoke:
                    try writeAll(1, invoke(&reader, modules: modules, connection: connection).frame)
                default:
                    throw FrameError(message: "unexpected frame type \(frame.first ?? 0)")
                }
            }
            return 0
        } catch {
            let text = Array("annals sandbox-worker: stopped serving its parent: \(error)\n".utf8)
            _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            return 70
        }
    }

    private static func invoke(
        _ reader: inout FrameReader, modules: [UInt64: PluginModule], connection: WorkerConnection
    )
        throws(FrameError) -> FrameWriter
    {
        let identity = try reader.integer(UInt64.self)
        let action = try reader.text()
        let input = try reader.data()
        let grantCount = try reader.integer(UInt32.self)
        var grants: Set<Capability> = []
        for _ in 0..<grantCount {
            if let grant = try? Capability(parsing: try reader.text()) { grants.insert(grant) }
        }
        let limits = SandboxLimits(
            fuel: try reader.integer(), maxMemoryPages: Int(try reader.integer(UInt32.self)),
            timeout: .nanoseconds(Int64(clamping: try reader.integer(UInt64.self))),
            maxOutputBytes: Int(try reader.integer(UInt32.self)))
        var answer = FrameWriter(.result)
        guard let module = modules[identity] else {
            answer.integer(UInt8(1))
            answer.text(SandboxFailure.Kind.trap.rawValue)
            answer.text("the worker could not load the module")
            appendUsage(ResourceUsage(), to: &answer)
            return answer
        }
        let execution = InProcessExecution(
            module: module, action: action, grants: grants, host: RemotePluginHost(connection: connection),
            limits: limits, inWorker: true)
        do {
            let result = try execution.run(input: input, cancellation: nil)
            answer.integer(UInt8(0))
            answer.data(result.output)
            appendUsage(result.usage, to: &answer)
        } catch {
            answer.integer(UInt8(1))
            answer.text(error.kind.rawValue)
            answer.text(error.message)
            appendUsage(error.usage, to: &answer)
        }
        return answer
    }

    private static func appendUsage(_ usage: ResourceUsage, to writer: inout FrameWriter) {
        writer.integer(usage.fuelUsed)
        writer.integer(UInt64(usage.peakMemoryBytes))
        writer.integer(nanoseconds(usage.duration))
    }

    private static func setLimit(_ resource: __rlimit_resource_t, _ value: UInt64) {
        var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
        var current = rlimit()
        if getrlimit(resource, &current) == 0, current.rlim_max != rlim_t.max, current.rlim_max < value {
            limit = rlimit(rlim_cur: current.rlim_max, rlim_max: current.rlim_max)
        }
        setrlimit(resource, &limit)
    }
}

/// The worker's end of the connection to its parent.
final class WorkerConnection: @unchecked Sendable {
    let fd: Int32

    init(fd: Int32) { self.fd = fd }
}

/// A ``PluginHost`` in the worker that forwards each call to the parent and waits for its answer.
struct RemotePluginHost: PluginHost {
    let connection: WorkerConnection

    private func call(_ function: HostFunction, _ first: [UInt8], _ second: [UInt8] = []) throws -> [UInt8]? {
        var frame = FrameWriter(.hostCall)
        frame.text(function.rawValue)
        frame.data(first)
        frame.data(second)
        try writeAll(1, frame.frame)
        guard let reply = try readFrame(connection.fd) else { throw FrameError(message: "the parent went away") }
        var reader = FrameReader(reply)
        guard reader.message == .hostReply else { throw FrameError(message: "expected a host reply") }
        switch try reader.integer(UInt8.self) {
        case 0: return try reader.data()
        case 1: return nil
        default:
            let message = try reader.text()
            throw HostCallFailure(
                kind: message.hasPrefix("permission denied: ") ? .permissionDenied : .trap,
                message: message)
        }
    }

    func readEvents(_ requestJSON: [UInt8]) throws -> [UInt8] { try call(.eventsRead, requestJSON) ?? [] }
    func appendEvent(_ eventJSON: [UInt8]) throws -> [UInt8] { try call(.eventsAppend, eventJSON) ?? [] }
    func kvGet(_ key: String) throws -> [UInt8]? { try call(.kvGet, Array(key.utf8)) }
    func kvSet(_ key: String, _ value: [UInt8]) throws { _ = try call(.kvSet, Array(key.utf8), value) }
    func secret(named name: String) throws -> String? {
        try call(.secretGet, Array(name.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }
}
