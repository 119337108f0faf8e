/// What a plugin may do through the host: each host function of the ABI needs exactly one capability.
///
/// The string form is stable and is what the platform stores: `events.read`, `events.append`, `kv` and
/// `secrets.read:NAME` (one grant per secret name).
/// ```swift
/// let grant = try Capability(parsing: "secrets.read:API_KEY")   // .secretsRead("API_KEY")
/// grant.description                                             // "secrets.read:API_KEY"
/// ```
public enum Capability: Hashable, Sendable, CustomStringConvertible {
    /// Read events from the log (`events.read`): host function `events_read`.
    case eventsRead
    /// Append events to the log (`events.append`): host function `events_append`.
    case eventsAppend
    /// Read and write the plugin's private key/value state (`kv`): host functions `kv_get` and `kv_set`.
    case kv
    /// Read the one secret with this name (`secrets.read:NAME`): host function `secret_get`.
    case secretsRead(String)

    /// The kind of this capability, without the secret name.
    public var kind: CapabilityKind {
        switch self {
        case .eventsRead: .eventsRead
        case .eventsAppend: .eventsAppend
        case .kv: .kv
        case .secretsRead: .secretsRead
        }
    }

    /// The stable string form, such as `events.read` or `secrets.read:API_KEY`.
    public var description: String {
        switch self {
        case .secretsRead(let name): "\(CapabilityKind.secretsRead.rawValue):\(name)"
        default: kind.rawValue
        }
    }

    /// Parses the stable string form.
    /// - Throws: ``CapabilityParseError`` naming the text and what is wrong with it.
    public init(parsing text: String) throws(CapabilityParseError) {
        let prefix = CapabilityKind.secretsRead.rawValue + ":"
        if text.hasPrefix(prefix) {
            let name = String(text.dropFirst(prefix.count))
            guard Capability.isValidSecretName(name) else {
                throw CapabilityParseError(
                    text: text,
                    reason: "a secret name is 1 to 128 characters among A-Z a-z 0-9 _ - .")
            }
            self = .secretsRead(name)
            return
        }
        switch CapabilityKind(rawValue: text) {
        case .eventsRead: self = .eventsRead
        case .eventsAppend: self = .eventsAppend
        case .kv: self = .kv
        case .secretsRead:
            throw CapabilityParseError(text: text, reason: "secrets.read needs a secret name: secrets.read:NAME")
        case nil:
            throw CapabilityParseError(
                text: text,
                reason: "unknown capability; known: events.read, events.append, kv, secrets.read:NAME")
        }
    }

    /// Whether `name` is a valid secret name: 1 to 128 ASCII letters, digits, `_`, `-` or `.`.
    public static func isValidSecretName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte == 0x2D || byte == 0x2E
        }
    }
}

/// The kinds of ``Capability``, by their stable string form.
public enum CapabilityKind: String, Hashable, Sendable, CaseIterable {
    /// `events.read`.
    case eventsRead = "events.read"
    /// `events.append`.
    case eventsAppend = "events.append"
    /// `kv`.
    case kv = "kv"
    /// `secrets.read` (granted per name as `secrets.read:NAME`).
    case secretsRead = "secrets.read"
}

/// A capability string that could not be parsed.
public struct CapabilityParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that was given.
    public let text: String
    /// What is wrong with it.
    public let reason: String

    /// `invalid capability 'TEXT': REASON`.
    public var description: String { "invalid capability '\(text)': \(reason)" }
}
