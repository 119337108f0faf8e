import WasmKit

/// The host functions of the ABI, imported from module `annals`; each needs exactly one capability kind.
///
/// Buffers are `(pointer, length)` pairs in the guest's linear memory. A function with a result writes it into the
/// caller's buffer `(out, capacity)` and returns its full length (written only if it fits; the guest calls again
/// with a larger buffer otherwise), or -1 when there is no value.
public enum HostFunction: String, Sendable, CaseIterable {
    /// `events_read(request, request_len, out, capacity) -> i32`: the events the JSON request selects.
    case eventsRead = "events_read"
    /// `events_append(event, event_len, out, capacity) -> i32`: appends one JSON event; the host's JSON answer.
    case eventsAppend = "events_append"
    /// `kv_get(key, key_len, out, capacity) -> i32`: the value stored under the UTF-8 key, or -1.
    case kvGet = "kv_get"
    /// `kv_set(key, key_len, value, value_len)`: stores the value under the UTF-8 key.
    case kvSet = "kv_set"
    /// `secret_get(name, name_len, out, capacity) -> i32`: the named secret's value, or -1.
    case secretGet = "secret_get"

    /// The import module name every host function lives in.
    public static let importModule = "annals"

    /// The capability kind a module importing this function must be granted.
    public var capability: CapabilityKind {
        switch self {
        case .eventsRead: .eventsRead
        case .eventsAppend: .eventsAppend
        case .kvGet, .kvSet: .kv
        case .secretGet: .secretsRead
        }
    }

    /// The WebAssembly signature.
    var type: FunctionType {
        switch self {
        case .kvSet: FunctionType(parameters: [.i32, .i32, .i32, .i32], results: [])
        default: FunctionType(parameters: [.i32, .i32, .i32, .i32], results: [.i32])
        }
    }
}
