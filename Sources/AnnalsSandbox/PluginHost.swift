/// The host side of the plugin ABI, implemented by the platform: what the host functions do.
///
/// Calls are synchronous, on the thread executing the plugin (in worker mode: on the thread that called
/// ``Sandbox/invoke(module:action:input:grants:host:limits:cancellation:)``). The sandbox has already checked the
/// capability before calling. An error thrown here stops the execution as a ``SandboxFailure/Kind/trap`` whose
/// message includes the error's description, so it must not contain secret values.
public protocol PluginHost: Sendable {
    /// The events `requestJSON` selects (such as `{"after":0,"limit":10,"type":"order.placed"}`), as a JSON array.
    func readEvents(_ requestJSON: [UInt8]) throws -> [UInt8]
    /// Appends one event (valid JSON, checked by the sandbox) and returns the host's JSON answer.
    func appendEvent(_ eventJSON: [UInt8]) throws -> [UInt8]
    /// The value the plugin stored under `key`, or `nil`.
    func kvGet(_ key: String) throws -> [UInt8]?
    /// Stores `value` under `key` in the plugin's private state.
    func kvSet(_ key: String, _ value: [UInt8]) throws
    /// The value of the secret `named`, or `nil` when there is none.
    func secret(named: String) throws -> String?
}
