/// The parent's side of a worker's host calls. The worker is not trusted, so each call is checked here again as the
/// in-process sandbox checks it (``HostBindings``): the capability, text arguments that must be UTF-8, and writes to
/// the store (an appended event, a key/value entry) that carry the value of a secret handed to this execution.
struct WorkerHostCalls {
    let host: any PluginHost
    let grants: Set<Capability>
    /// The secrets handed to the worker during this execution, to withhold from its writes, output and messages.
    private(set) var secretsGiven: [(name: String, value: String)] = []

    init(host: any PluginHost, grants: Set<Capability>) {
        self.host = host
        self.grants = grants
    }

    /// Answers one `hostCall` frame with a `hostReply` frame: status 0 and the value, 1 for none, or 2 and a message
    /// (one starting `permission denied: ` is a refusal, any other a host error).
    mutating func answer(_ reader: inout FrameReader) throws(FrameError) -> FrameWriter {
        let name = try reader.text()
        let first = try reader.data()
        let second = try reader.data()
        guard let function = HostFunction(rawValue: name) else { throw FrameError(message: "unknown host call") }
        do {
            let value = try call(function, first, second)
            var reply = FrameWriter(.hostReply)
            if let value {
                reply.integer(UInt8(0))
                reply.data(value)
            } else {
                reply.integer(UInt8(1))
            }
            return reply
        } catch let refusal as Refusal {
            return failure(refusal.message)
        } catch {
            return failure(SecretScan.redacting("host function \(name) failed: \(error)", secretsGiven))
        }
    }

    /// A call refused here: its message, sent back as it is.
    private struct Refusal: Error {
        let message: String
    }

    private func failure(_ message: String) -> FrameWriter {
        var reply = FrameWriter(.hostReply)
        reply.integer(UInt8(2))
        reply.text(message)
        return reply
    }

    private mutating func call(_ function: HostFunction, _ first: [UInt8], _ second: [UInt8]) throws -> [UInt8]? {
        let name = function.rawValue
        guard grants.contains(where: { $0.kind == function.capability }) else {
            throw Refusal(message: "permission denied: \(name) is not granted")
        }
        switch function {
        case .eventsRead:
            return try host.readEvents(first)
        case .eventsAppend:
            try refuseSecrets(function, [("the event", first)])
            return try host.appendEvent(first)
        case .kvGet:
            return try host.kvGet(try text(first, function, what: "key"))
        case .kvSet:
            let key = try text(first, function, what: "key")
            try refuseSecrets(function, [("the key", first), ("the value", second)])
            try host.kvSet(key, second)
            return []
        case .secretGet:
            let secretName = try text(first, function, what: "secret name")
            guard Capability.isValidSecretName(secretName), grants.contains(.secretsRead(secretName)) else {
                throw Refusal(message: "permission denied: \(name) is not granted")
            }
            let secret = try host.secret(named: secretName)
            if let secret { secretsGiven.append((secretName, secret)) }
            return secret.map { Array($0.utf8) }
        }
    }

    /// `bytes` as text; bytes that are not UTF-8 are refused as the in-process sandbox refuses them.
    private func text(_ bytes: [UInt8], _ function: HostFunction, what: String) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Refusal(message: "\(function.rawValue) \(what) is not UTF-8")
        }
        return text
    }

    /// Refuses a write whose `parts` carry the value of a secret handed out (``SecretScan/writeRefusal(_:_:secrets:)``).
    private func refuseSecrets(_ function: HostFunction, _ parts: [(what: String, bytes: [UInt8])]) throws {
        guard let refusal = SecretScan.writeRefusal(function, parts, secrets: secretsGiven) else { return }
        throw Refusal(message: "permission denied: " + refusal)
    }
}
