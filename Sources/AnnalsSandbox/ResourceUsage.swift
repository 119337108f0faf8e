/// What one execution used, reported on success (``InvocationResult``) and on failure (``SandboxFailure``).
public struct ResourceUsage: Sendable, Equatable {
    /// The fuel consumed (for an interrupted execution: as last observed before the interruption).
    public var fuelUsed: UInt64
    /// The largest size the module's linear memory reached, in bytes.
    public var peakMemoryBytes: Int
    /// The wall-clock time of the execution, from the call to its result.
    public var duration: Duration

    /// Creates a usage record.
    public init(fuelUsed: UInt64 = 0, peakMemoryBytes: Int = 0, duration: Duration = .zero) {
        self.fuelUsed = fuelUsed
        self.peakMemoryBytes = peakMemoryBytes
        self.duration = duration
    }
}

/// The result of an execution that succeeded: the action's output, valid JSON, and the resources it used.
public struct InvocationResult: Sendable, Equatable {
    /// The output: UTF-8 JSON, at most ``SandboxLimits/maxOutputBytes`` bytes.
    public var output: [UInt8]
    /// What the execution used.
    public var usage: ResourceUsage

    /// Creates a result.
    public init(output: [UInt8], usage: ResourceUsage) {
        self.output = output
        self.usage = usage
    }

    /// The output as a string.
    public var outputText: String { String(decoding: output, as: UTF8.self) }
    /// The fuel consumed.
    public var fuelUsed: UInt64 { usage.fuelUsed }
    /// The largest size linear memory reached, in bytes.
    public var peakMemoryBytes: Int { usage.peakMemoryBytes }
    /// The wall-clock time of the execution.
    public var duration: Duration { usage.duration }
}
