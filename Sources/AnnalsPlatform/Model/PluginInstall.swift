import Annals
import AnnalsResolver

/// A plugin installed in one organization: an instance with a version, the permissions granted to it, and the
/// history of its changes in its own event stream (`install:ORG:NAME`).
public struct PluginInstall: Sendable, Hashable {
    /// The plugin's name.
    public var name: String
    /// The organization it is installed in.
    public var organization: String
    /// The installed version.
    public var version: SemanticVersion
    /// Which registry scope it came from: the global registry or the organization's own.
    public var source: PluginScope
    /// The range the organization asked for, or `nil` when it is installed only as a dependency.
    public var requested: VersionRange?
    /// Whether updates must leave it alone (``PluginPlatform/pin(_:organization:actorId:)``).
    public var pinned: Bool
    /// The permissions granted to it, sorted.
    public var grants: [String]
    /// The last update that changed it: the offset and version it updated from, and every install that update
    /// changed (what ``PluginPlatform/rollback(_:organization:to:actorId:dryRun:)`` restores by default).
    public var lastUpdate: UpdateRecord?
    /// The offset of the event that installed it (0 before it is appended).
    public var installedOffset: UInt64
    /// The offset of the last event that changed it (0 before it is appended).
    public var updatedOffset: UInt64

    /// Where an update started from.
    public struct UpdateRecord: Sendable, Hashable {
        /// The log head just before the update: the state a rollback returns to.
        public var fromOffset: UInt64
        /// The version before the update.
        public var fromVersion: SemanticVersion
        /// The ids of every install the update changed, created or removed.
        public var instances: [String]
    }

    /// The id of its thing.
    public var thingId: String { PlatformIDs.install(name, organization: organization) }

    /// The grants a run of `release` (its installed version) may use: those the release asks for. A permission
    /// granted for another version (kept by a downgrade, which never revokes) is not handed to code that never
    /// declared it.
    public func effectiveGrants(for release: PluginRelease) -> [String] {
        grants.filter(release.permissions.contains)
    }

    /// Whether the organization asked for it (rather than only needing it as a dependency).
    public var isExplicit: Bool { requested != nil }

    /// The properties its thing stores.
    var properties: JSONValue {
        var members: [String: JSONValue] = [
            "plugin": .string(name), "version": .string(version.description), "source": .string(source.groupId),
            "pinned": .bool(pinned), "grants": .array(grants.map(JSONValue.string)),
        ]
        if let requested { members["requested"] = .string(requested.description) }
        if let lastUpdate {
            members["lastUpdate"] = .object([
                "fromOffset": .integer(lastUpdate.fromOffset),
                "fromVersion": .string(lastUpdate.fromVersion.description),
                "instances": .array(lastUpdate.instances.map(JSONValue.string)),
            ])
        }
        return .object(members)
    }

    /// The names of the plugins installed in `organization`, for suggestions when a name matches none.
    static func names(in organization: String, _ view: OntologyView) throws -> [String] {
        try view.things(ThingFilter(thingType: PlatformIDs.installType, groupId: organization, limit: .max))
            .compactMap { PluginInstall($0)?.name }
    }

    /// The install a `plugin.install` thing holds, or `nil` for another thing.
    init?(_ thing: Thing) {
        let properties = thing.properties
        guard thing.thingType == PlatformIDs.installType, let organization = thing.groupId,
            let name = properties["plugin"]?.stringValue,
            let version = properties["version"]?.stringValue.flatMap(SemanticVersion.init)
        else { return nil }
        self.name = name
        self.organization = organization
        self.version = version
        source = PluginScope(storedGroup: properties["source"]?.stringValue ?? PluginScope.globalGroup)
        requested = properties["requested"]?.stringValue.flatMap { try? VersionRange(parsing: $0) }
        pinned = properties["pinned"]?.boolValue ?? false
        grants = (properties["grants"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let update = properties["lastUpdate"], let offset = update["fromOffset"]?.int64Value,
            let from = update["fromVersion"]?.stringValue.flatMap(SemanticVersion.init)
        {
            lastUpdate = UpdateRecord(
                fromOffset: UInt64(offset), fromVersion: from,
                instances: (update["instances"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
        installedOffset = thing.stamp.createdOffset
        updatedOffset = thing.stamp.updatedOffset
    }

    /// A new install.
    init(
        name: String, organization: String, version: SemanticVersion, source: PluginScope, requested: VersionRange?,
        grants: [String]
    ) {
        self.name = name
        self.organization = organization
        self.version = version
        self.source = source
        self.requested = requested
        self.pinned = false
        self.grants = grants.sorted()
        self.installedOffset = 0
        self.updatedOffset = 0
    }

    /// The install as `annals plugin list` prints it.
    public var json: JSONValue {
        .object([
            "name": .string(name), "group": .string(organization), "version": .string(version.description),
            "source": .string(source.groupId), "requested": requested.map { .string($0.description) } ?? .null,
            "pinned": .bool(pinned), "grants": .array(grants.map(JSONValue.string)),
            "installedOffset": .integer(installedOffset), "updatedOffset": .integer(updatedOffset),
            "lastUpdate": lastUpdate.map {
                .object([
                    "fromOffset": .integer($0.fromOffset), "fromVersion": .string($0.fromVersion.description),
                    "instances": .array($0.instances.map(JSONValue.string)),
                ])
            } ?? .null,
        ])
    }
}
