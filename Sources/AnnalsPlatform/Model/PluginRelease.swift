import Annals
import AnnalsResolver

/// One published version of a plugin: its dependencies, the permissions it asks for, its actions and module.
public struct PluginRelease: Sendable, Hashable {
    /// The version.
    public var version: SemanticVersion
    /// The plugins it needs, by name, with the range of versions each may have.
    public var dependencies: [String: VersionRange]
    /// The capabilities it asks for, such as `events.read` or `secrets.read:API_KEY`, sorted.
    public var permissions: [String]
    /// What it can do.
    public var actions: [PluginAction]
    /// Its WebAssembly module, when the registry has one (the ElizaOS registry lists npm packages only).
    public var artifact: PluginArtifact?
    /// The range of the host framework's core it works with (ElizaOS `@elizaos/core`), kept for information.
    public var coreRange: String?
    /// The event types it reacts to (patterns with `*` and `?`): each matching event of its organization is
    /// delivered to its `on_event` action through a durable subscription.
    public var subscribes: [String]
    /// Whether its registry stopped listing it: kept, so that the installs of it keep resolving and running, but
    /// never chosen by a new resolution (Cargo's "yank").
    public var yanked = false

    /// A release.
    public init(
        version: SemanticVersion, dependencies: [String: VersionRange] = [:], permissions: [String] = [],
        actions: [PluginAction] = [], artifact: PluginArtifact? = nil, coreRange: String? = nil,
        subscribes: [String] = []
    ) {
        self.version = version
        self.dependencies = dependencies
        self.permissions = permissions.sorted()
        self.actions = actions
        self.artifact = artifact
        self.coreRange = coreRange
        self.subscribes = subscribes.sorted()
    }

    /// The release as the plugin thing's `releases` property stores it (keyed by version elsewhere).
    var json: JSONValue {
        var members: [String: JSONValue] = [
            "dependencies": .object(dependencies.mapValues { .string($0.description) }),
            "permissions": .array(permissions.map(JSONValue.string)),
            "actions": .array(actions.map(\.json)),
        ]
        if let artifact { members["artifact"] = artifact.json }
        if let coreRange { members["coreRange"] = .string(coreRange) }
        if !subscribes.isEmpty { members["subscribes"] = .array(subscribes.map(JSONValue.string)) }
        if yanked { members["yanked"] = .bool(true) }
        return .object(members)
    }

    /// Decodes what ``json`` stored; `nil` when it was not written by this type.
    init?(version: SemanticVersion, stored: JSONValue) {
        guard let members = stored.objectValue else { return nil }
        var dependencies: [String: VersionRange] = [:]
        for (name, range) in members["dependencies"]?.objectValue ?? [:] {
            guard let text = range.stringValue, let parsed = try? VersionRange(parsing: text) else { return nil }
            dependencies[name] = parsed
        }
        let actions: [PluginAction] = (members["actions"]?.arrayValue ?? []).compactMap { action in
            guard let name = action["name"]?.stringValue else { return nil }
            return PluginAction(
                name: name, description: action["description"]?.stringValue ?? "",
                parameters: action["parameters"] ?? .object([:]))
        }
        let artifact = members["artifact"].flatMap { value -> PluginArtifact? in
            guard let path = value["path"]?.stringValue, let sha = value["sha256"]?.stringValue else { return nil }
            return PluginArtifact(path: path, sha256: sha)
        }
        self.init(
            version: version, dependencies: dependencies,
            permissions: (members["permissions"]?.arrayValue ?? []).compactMap(\.stringValue), actions: actions,
            artifact: artifact, coreRange: members["coreRange"]?.stringValue,
            subscribes: (members["subscribes"]?.arrayValue ?? []).compactMap(\.stringValue))
        yanked = members["yanked"]?.boolValue ?? false
    }

    /// What `other` changes of this published version, in words (`its dependencies`, …): its module's digest,
    /// dependencies, permissions, actions or subscriptions; empty when it publishes the same version (a module moved
    /// with the same digest, the core range and ``yanked`` do not count).
    func changes(in other: PluginRelease) -> [String] {
        var changed: [String] = []
        if artifact?.sha256 != other.artifact?.sha256 {
            changed.append("its module's SHA-256 (\(artifact?.sha256 ?? "none") → \(other.artifact?.sha256 ?? "none"))")
        }
        if dependencies != other.dependencies { changed.append("its dependencies") }
        if permissions != other.permissions { changed.append("its permissions") }
        if actions != other.actions { changed.append("its actions") }
        if subscribes != other.subscribes { changed.append("its subscriptions") }
        return changed
    }
}
