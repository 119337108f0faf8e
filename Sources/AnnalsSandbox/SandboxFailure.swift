/// Why an execution stopped without a result. The host process is unaffected; the next execution starts fresh.
///
/// The message names what happened (the limit, the capability and import, the trap) and never contains a secret's
/// value.
public struct SandboxFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The wall-clock ``SandboxLimits/timeout`` passed (in worker mode, the worker was killed).
        case timeout
        /// The ``SandboxLimits/fuel`` budget was used up.
        case outOfFuel
        /// The module needed more linear memory than ``SandboxLimits/maxMemoryPages``, at instantiation or
        /// through `memory.grow`.
        case memoryLimit
        /// The module trapped (`unreachable`, division by zero, an out-of-bounds access or pointer, an exhausted
        /// call stack, a failed host call), does not export the action, or its worker process crashed.
        case trap
        /// The module imports a host function whose capability was not granted, asked for a secret that was not
        /// granted, or returned the value of a secret it read.
        case permissionDenied
        /// The output is larger than ``SandboxLimits/maxOutputBytes``, or is not JSON (or an appended event is
        /// not JSON).
        case invalidOutput
        /// The execution's ``CancellationToken`` was cancelled.
        case cancelled
        /// Nothing ran: the module was refused before it started (its artifact missing or not matching the
        /// registry's SHA-256, or the module check refusing it: malformed, too large, an import the host lacks).
        case moduleRefused
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// What happened, for people.
    public var message: String
    /// The action that was invoked.
    public var action: String
    /// What the execution used before it stopped.
    public var usage: ResourceUsage

    /// Creates a failure.
    public init(_ kind: Kind, _ message: String, action: String = "", usage: ResourceUsage = ResourceUsage()) {
        self.kind = kind
        self.message = message
        self.action = action
        self.usage = usage
    }

    /// `KIND in action NAME: MESSAGE`.
    public var description: String { "\(kind.rawValue) in action '\(action)': \(message)" }
}
