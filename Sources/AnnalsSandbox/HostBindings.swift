import WasmKit

/// A host call that stops the execution with this kind of failure.
struct HostCallFailure: Error {
    let kind: SandboxFailure.Kind
    let message: String
}

/// The state one execution's host functions share: the host, the grants, and the secrets read so far (so that
/// their values can be kept out of the output and the failure messages).
final class HostBindings {
    let host: any PluginHost
    let grants: Set<Capability>
    let interrupter: ExecutionInterrupter
    /// The secrets read during this execution: name and value.
    private(set) var secretsRead: [(name: String, value: String)] = []

    init(host: any PluginHost, grants: Set<Capability>, interrupter: ExecutionInterrupter) {
        self.host = host
        self.grants = grants
        self.interrupter = interrupter
    }

    /// The WasmKit function implementing `function` for this execution.
    func define(_ function: HostFunction, in imports: inout Imports, store: Store) {
        imports.define(
            module: HostFunction.importModule, name: function.rawValue,
            Function(store: store, type: function.type) { [self] caller, arguments in
                try call(function, caller: caller, arguments.map { $0.i32 })
            })
    }

    private func call(_ function: HostFunction, caller: borrowing Caller, _ arguments: [UInt32]) throws -> [Value] {
        if let reason = interrupter.interruption {
            throw HostCallFailure(
                kind: reason == .timeout ? .timeout : .cancelled, message: "stopped during a host call")
        }
        guard let memory = caller.instance?.exports[memory: "memory"] else {
            throw HostCallFailure(kind: .trap, message: "\(function.rawValue): the caller has no memory")
        }
        let guest = GuestMemory(memory: memory)
        do {
            switch function {
            case .eventsRead:
                let request = try guest.read(arguments[0], arguments[1], what: "events_read request")
                return try answer(try host.readEvents(request), into: guest, arguments[2], arguments[3])
            case .eventsAppend:
                let event = try guest.read(arguments[0], arguments[1], what: "events_append event")
                if let problem = JSONSyntax.problem(in: event) {
                    throw HostCallFailure(
                        kind: .invalidOutput, message: "events_append: the event is not JSON: \(problem)")
                }
                try refuseSecrets(function, [("the event", event)])
                return try answer(try host.appendEvent(event), into: guest, arguments[2], arguments[3])
            case .kvGet:
                let key = try text(guest, arguments[0], arguments[1], what: "kv_get key")
                return try answer(try host.kvGet(key), into: guest, arguments[2], arguments[3])
            case .kvSet:
                let key = try text(guest, arguments[0], arguments[1], what: "kv_set key")
                let value = try guest.read(arguments[2], arguments[3], what: "kv_set value")
                try refuseSecrets(function, [("the key", Array(key.utf8)), ("the value", value)])
                try host.kvSet(key, value)
                return []
            case .secretGet:
                let name = try text(guest, arguments[0], arguments[1], what: "secret_get name")
                // Byte for byte: `String` equality is canonical equivalence, under which `API_\u{212A}EY` (a Kelvin
                // sign) is `API_KEY`. A granted name is ASCII, so a name that is not a valid one is granted none.
                guard Capability.isValidSecretName(name), grants.contains(.secretsRead(name)) else {
                    throw HostCallFailure(
                        kind: .permissionDenied,
                        message: "secret_get('\(name)') needs capability secrets.read:\(name), which was not granted")
                }
                let value = try host.secret(named: name)
                if let value { secretsRead.append((name, value)) }
                return try answer(value.map { Array($0.utf8) }, into: guest, arguments[2], arguments[3])
            }
        } catch let fault as GuestFault {
            throw HostCallFailure(kind: .trap, message: "\(function.rawValue): \(fault.message)")
        } catch let failure as HostCallFailure {
            throw failure
        } catch {
            throw HostCallFailure(kind: .trap, message: "host function \(function.rawValue) failed: \(error)")
        }
    }

    /// Writes `value` into the guest's buffer if it fits; the result is its length, or -1 for `nil`.
    private func answer(_ value: [UInt8]?, into guest: GuestMemory, _ pointer: UInt32, _ capacity: UInt32)
        throws -> [Value]
    {
        guard let value else { return [.i32(UInt32(bitPattern: -1))] }
        guard value.count <= Int32.max else {
            throw HostCallFailure(kind: .trap, message: "a host result of \(value.count) bytes is too large")
        }
        if value.count <= Int(capacity) { try guest.write(value, at: pointer, what: "result buffer") }
        return [.i32(UInt32(value.count))]
    }

    private func text(_ guest: GuestMemory, _ pointer: UInt32, _ count: UInt32, what: String) throws -> String {
        guard let text = String(validating: try guest.read(pointer, count, what: what), as: UTF8.self) else {
            throw HostCallFailure(kind: .trap, message: "\(what) is not UTF-8")
        }
        return text
    }

    /// `text` with the value of every secret read replaced by `<secret NAME>` (``SecretScan/redacting(_:_:)``, on
    /// UTF-8 bytes).
    func redacting(_ text: String) -> String {
        SecretScan.redacting(text, secretsRead)
    }

    /// Refuses a write to the store (an appended event, a key/value entry) whose `parts` carry the value of a secret
    /// this execution read (``SecretScan/writeRefusal(_:_:secrets:)``).
    private func refuseSecrets(_ function: HostFunction, _ parts: [(what: String, bytes: [UInt8])]) throws {
        guard let refusal = SecretScan.writeRefusal(function, parts, secrets: secretsRead) else { return }
        throw HostCallFailure(kind: .permissionDenied, message: refusal)
    }

    /// The name of a secret read whose value occurs in `output` (raw, or behind JSON escapes), if any.
    func leakedSecret(in output: [UInt8]) -> String? {
        let secrets = secretsRead
        return SecretScan.first(of: secrets.map(\.value), in: output).map { secrets[$0].name }
    }
}
