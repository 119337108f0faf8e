import Synchronization

/// A ``PluginHost`` that keeps everything in memory, for tests and examples.
///
/// `readEvents` ignores the request and returns every appended event as a JSON array; `appendEvent` answers
/// `{"offset":N}` (N counting from 1).
public final class InMemoryPluginHost: PluginHost {
    private struct State {
        var events: [[UInt8]] = []
        var values: [String: [UInt8]] = [:]
        var secrets: [String: String] = [:]
        var calls = 0
    }

    private let state: Mutex<State>

    /// Creates a host with the given secrets and an empty log and state.
    public init(secrets: [String: String] = [:]) {
        state = Mutex(State(secrets: secrets))
    }

    /// The events appended so far.
    public var events: [[UInt8]] { state.withLock { $0.events } }
    /// The key/value state.
    public var values: [String: [UInt8]] { state.withLock { $0.values } }
    /// How many host calls were made.
    public var calls: Int { state.withLock { $0.calls } }

    /// Every appended event, as a JSON array.
    public func readEvents(_ requestJSON: [UInt8]) throws -> [UInt8] {
        state.withLock { state in
            state.calls += 1
            return Array("[".utf8) + Array(state.events.joined(separator: Array(",".utf8))) + Array("]".utf8)
        }
    }

    /// Appends the event and returns `{"offset":N}`.
    public func appendEvent(_ eventJSON: [UInt8]) throws -> [UInt8] {
        state.withLock { state in
            state.calls += 1
            state.events.append(eventJSON)
            return Array("{\"offset\":\(state.events.count)}".utf8)
        }
    }

    /// The value under `key`, or `nil`.
    public func kvGet(_ key: String) throws -> [UInt8]? {
        state.withLock { state in
            state.calls += 1
            return state.values[key]
        }
    }

    /// Stores `value` under `key`.
    public func kvSet(_ key: String, _ value: [UInt8]) throws {
        state.withLock { state in
            state.calls += 1
            state.values[key] = value
        }
    }

    /// The secret's value, or `nil`.
    public func secret(named name: String) throws -> String? {
        state.withLock { state in
            state.calls += 1
            return state.secrets[name]
        }
    }
}
