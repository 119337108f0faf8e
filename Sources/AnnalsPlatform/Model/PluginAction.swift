import Annals

/// An action a plugin version offers: what `annals plugin run NAME ACTION` calls.
public struct PluginAction: Sendable, Hashable {
    /// The action's name, such as `quote`.
    public var name: String
    /// What it does, for people and for search.
    public var description: String
    /// The JSON Schema of its input (an object), or `{}` when it takes anything.
    public var parameters: JSONValue

    /// An action.
    public init(name: String, description: String = "", parameters: JSONValue = .object([:])) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// `{"name":…,"description":…,"parameters":{…}}`, as the registry stores it.
    public var json: JSONValue {
        .object(["name": .string(name), "description": .string(description), "parameters": parameters])
    }
}

/// The WebAssembly module of a plugin version, and the digest that pins it.
public struct PluginArtifact: Sendable, Hashable {
    /// Where the module is: an absolute path, resolved against the manifest's directory at sync, or the module's copy
    /// in the store's artifact cache (`<store>/artifacts/<sha256>.wasm`) when the manifest gave a URL.
    public var path: String
    /// The SHA-256 of the module's bytes, as 64 lowercase hex digits.
    public var sha256: String

    /// An artifact.
    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }

    /// `{"path":…,"sha256":…}`.
    public var json: JSONValue { .object(["path": .string(path), "sha256": .string(sha256)]) }
}
