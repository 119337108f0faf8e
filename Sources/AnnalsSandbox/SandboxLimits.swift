/// The limits of one plugin execution.
///
/// ```swift
/// var limits = SandboxLimits()          // 100M fuel, 256 pages (16 MiB), 5 s, 1 MiB of output
/// limits.fuel = 10_000_000
/// ```
public struct SandboxLimits: Sendable, Equatable {
    /// The CPU budget in fuel: about one unit per WebAssembly operator executed (bulk memory operations cost one
    /// more per 64 bytes). Deterministic: the same module, action and input use the same fuel on every run.
    public var fuel: UInt64
    /// The most 64 KiB pages of linear memory the module may have, at instantiation and through `memory.grow`.
    public var maxMemoryPages: Int
    /// The wall-clock budget of the whole execution (instantiation, the action and host calls).
    public var timeout: Duration
    /// The most bytes of output the action may return.
    public var maxOutputBytes: Int

    /// The size of a WebAssembly page, in bytes.
    public static let pageSize = 65_536

    /// Creates limits; the defaults are 100,000,000 fuel, 256 pages (16 MiB), 5 seconds and 1 MiB of output.
    public init(
        fuel: UInt64 = 100_000_000, maxMemoryPages: Int = 256, timeout: Duration = .seconds(5),
        maxOutputBytes: Int = 1 << 20
    ) {
        self.fuel = fuel
        self.maxMemoryPages = maxMemoryPages
        self.timeout = timeout
        self.maxOutputBytes = maxOutputBytes
    }

    /// The memory limit in bytes.
    public var maxMemoryBytes: Int { maxMemoryPages * Self.pageSize }
}
