import Annals
import AnnalsResolver

/// A plugin as a registry lists it: what it is for, and every version it has published.
///
/// Stored as a thing of type `plugin` (id `plugin:SCOPE:NAME`) in its scope's group; its searchable text is a
/// knowledge item about that thing, and its dependencies are `depends_on` connections to the plugins it needs.
public struct Plugin: Sendable, Hashable {
    /// The package name, such as `@elizaos/plugin-sql`.
    public var name: String
    /// The global registry or an organization's private one.
    public var scope: PluginScope
    /// The name of the registry that lists it.
    public var registry: String
    /// What it does.
    public var description: String
    /// Its category: given by a manifest, or inferred from its words (``categoryInferred``).
    public var category: String?
    /// Whether ``category`` was inferred rather than declared.
    public var categoryInferred: Bool
    /// Tags, such as GitHub topics.
    public var topics: [String]
    /// Where its source lives, such as `github:elizaos-plugins/plugin-sql`.
    public var repository: String?
    /// Its home page.
    public var homepage: String?
    /// Its published versions, oldest first.
    public var releases: [PluginRelease]
    /// Named versions, such as `latest`, `alpha` or `v1`.
    public var distTags: [String: SemanticVersion]
    /// Whether the registry stopped listing it (it stays installable where installed, but is not offered).
    public var withdrawn: Bool

    /// A plugin.
    public init(
        name: String, scope: PluginScope = .global, registry: String = "", description: String = "",
        category: String? = nil, categoryInferred: Bool = false, topics: [String] = [], repository: String? = nil,
        homepage: String? = nil, releases: [PluginRelease] = [], distTags: [String: SemanticVersion] = [:],
        withdrawn: Bool = false
    ) {
        self.name = name
        self.scope = scope
        self.registry = registry
        self.description = description
        self.category = category
        self.categoryInferred = categoryInferred
        self.topics = topics
        self.repository = repository
        self.homepage = homepage
        self.releases = releases.sorted { $0.version < $1.version }
        self.distTags = distTags
        self.withdrawn = withdrawn
    }

    /// The newest release that is not a prerelease, or the newest of all when every one is (yanked ones aside).
    public var latest: PluginRelease? {
        releases.last { !$0.yanked && $0.version.prerelease.isEmpty } ?? releases.last { !$0.yanked }
    }

    /// The release with exactly `version`.
    public func release(_ version: SemanticVersion) -> PluginRelease? {
        releases.first { $0.version == version }
    }

    /// The plugin as `annals plugin show` prints it.
    public var json: JSONValue {
        .object([
            "name": .string(name), "scope": .string(scope.groupId), "registry": .string(registry),
            "description": .string(description), "category": category.map(JSONValue.string) ?? .null,
            "topics": .array(topics.map(JSONValue.string)), "repository": repository.map(JSONValue.string) ?? .null,
            "homepage": homepage.map(JSONValue.string) ?? .null, "withdrawn": .bool(withdrawn),
            "distTags": .object(distTags.mapValues { .string($0.description) }),
            "versions": .array(
                releases.map { release in
                    guard case .object(var members) = release.json else { return release.json }
                    members["version"] = .string(release.version.description)
                    return .object(members)
                }),
        ])
    }

    /// The id of its thing.
    public var thingId: String { PlatformIDs.plugin(name, in: scope) }

    /// The thing's properties (everything but the name, scope and status).
    var properties: JSONValue {
        var members: [String: JSONValue] = [
            "registry": .string(registry),
            "description": .string(description),
            "topics": .array(topics.map(JSONValue.string)),
            "releases": .object(Dictionary(uniqueKeysWithValues: releases.map { ($0.version.description, $0.json) })),
            "distTags": .object(distTags.mapValues { .string($0.description) }),
        ]
        if let category {
            members["category"] = .string(category)
            if categoryInferred { members["categoryInferred"] = .bool(true) }
        }
        if let repository { members["repository"] = .string(repository) }
        if let homepage { members["homepage"] = .string(homepage) }
        return .object(members)
    }

    /// The plugin a `plugin` thing holds, or `nil` when the thing is something else.
    init?(_ thing: Thing) {
        guard thing.thingType == PlatformIDs.pluginType, let name = thing.name else { return nil }
        let properties = thing.properties
        var releases: [PluginRelease] = []
        for (text, stored) in properties["releases"]?.objectValue ?? [:] {
            guard let version = SemanticVersion(text), let release = PluginRelease(version: version, stored: stored)
            else { continue }
            releases.append(release)
        }
        var tags: [String: SemanticVersion] = [:]
        for (tag, text) in properties["distTags"]?.objectValue ?? [:] {
            if let version = text.stringValue.flatMap(SemanticVersion.init) { tags[tag] = version }
        }
        let group = thing.groupId ?? PluginScope.globalGroup
        self.init(
            name: name, scope: PluginScope(storedGroup: group),
            registry: properties["registry"]?.stringValue ?? "",
            description: properties["description"]?.stringValue ?? "",
            category: properties["category"]?.stringValue,
            categoryInferred: properties["categoryInferred"]?.boolValue ?? false,
            topics: (properties["topics"]?.arrayValue ?? []).compactMap(\.stringValue),
            repository: properties["repository"]?.stringValue, homepage: properties["homepage"]?.stringValue,
            releases: releases, distTags: tags, withdrawn: thing.status == PlatformIDs.withdrawnStatus)
    }
}
