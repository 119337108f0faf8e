import Annals

/// The cached modules (by SHA-256) that could still be run or rolled back to, each with what needs it.
///
/// A module is needed when
/// - a release of a plugin the views hold names it: any scope and registry, a withdrawn plugin's and a yanked
///   release's included (`registry SCOPE/NAME@VERSION`);
/// - an install, in any organization, has a version whose release named it at any point of the plugin's stream
///   (`install ORG/NAME@VERSION`), or had one earlier in its stream (`rollback ORG/NAME@VERSION`): a `plugin rollback`
///   may return to it. Installs removed since (a dependency an update dropped) count too, since rolling back what
///   required them restores them;
/// - any event of a plugin's stream recorded it for a release, the views' plugins' and those deleted since
///   (`history SCOPE/NAME@VERSION`, for a release the plugin no longer has with that module): the log is never
///   rewritten, and an `annals rollback` can restore any earlier state of a registry, that release included, even
///   where no registry lists it any more and its URL is gone.
///
/// So the only modules nothing needs are those no plugin event records: downloaded by a sync whose append then failed
/// (or that skipped the entry), or put in the cache by hand.
struct ArtifactReferences {
    /// What needs each module, by SHA-256: sorted, each once.
    let needs: [String: [String]]

    /// One version an install had at some point of its stream.
    private struct HeldVersion: Hashable {
        var organization: String
        var plugin: String
        var source: PluginScope
        var version: String
    }

    /// Reads the plugins and installs of the views, and the streams of every install and plugin, deleted ones included.
    /// - Throws: ``PlatformError/store(_:)`` when the views or the log cannot be read.
    init(_ platform: PluginPlatform) throws(PlatformError) {
        var needs: [String: Set<String>] = [:]
        let (plugins, installs) = try platform.view { view in
            (
                try view.things(ThingFilter(thingType: PlatformIDs.pluginType, limit: .max)).compactMap(Plugin.init),
                try view.things(ThingFilter(thingType: PlatformIDs.installType, limit: .max))
                    .compactMap(PluginInstall.init)
            )
        }
        for plugin in plugins {
            for release in plugin.releases {
                guard let digest = release.artifact?.sha256 else { continue }
                needs[digest, default: []].insert("registry \(plugin.scope.groupId)/\(plugin.name)@\(release.version)")
            }
        }
        let current = Dictionary(
            installs.map { ($0.thingId, $0.version.description) }, uniquingKeysWith: { first, _ in first })
        let deleted = try Self.collect(platform.store.events(EventQuery(types: [OntologyEventType.thingDeleted])))
            .compactMap(\.targetId)
        let installIds = Set(current.keys).union(deleted.filter { $0.hasPrefix(PlatformIDs.installPrefix) })
        var recorded: [String: [String: Set<String>]] = [:]
        for id in installIds.sorted() {
            for held in try Self.versions(ofInstall: id, platform.store) {
                let pluginId = PlatformIDs.plugin(held.plugin, in: held.source)
                if recorded[pluginId] == nil {
                    recorded[pluginId] = try Self.digests(ofPlugin: pluginId, platform.store)
                }
                let kind = current[id] == held.version ? "install" : "rollback"
                for digest in recorded[pluginId]?[held.version] ?? [] {
                    needs[digest, default: []].insert("\(kind) \(held.organization)/\(held.plugin)@\(held.version)")
                }
            }
        }
        let pluginIds = Set(plugins.map(\.thingId)).union(deleted.filter { $0.hasPrefix(PlatformIDs.pluginPrefix) })
        for id in pluginIds.sorted() {
            if recorded[id] == nil { recorded[id] = try Self.digests(ofPlugin: id, platform.store) }
            let plugin = id.dropFirst(PlatformIDs.pluginPrefix.count)
            // `plugin:SCOPE:NAME`: a scope (an organization's name, or `global`) holds no `:`.
            guard let colon = plugin.firstIndex(of: ":") else { continue }
            let name = "\(plugin[..<colon])/\(plugin[plugin.index(after: colon)...])"
            for (version, digests) in recorded[id] ?? [:] {
                for digest in digests where needs[digest]?.contains("registry \(name)@\(version)") != true {
                    needs[digest, default: []].insert("history \(name)@\(version)")
                }
            }
        }
        self.needs = needs.mapValues { $0.sorted() }
    }

    /// Every version the install `id` has had, read from its stream: a creation or restore gives its whole
    /// properties, an update a merge patch of them.
    private static func versions(ofInstall id: String, _ store: EventStore) throws(PlatformError) -> Set<HeldVersion> {
        var held: Set<HeldVersion> = []
        var properties: [String: JSONValue] = [:]
        for event in try collect(try stream(id, store)) {
            let given = event.metadata["properties"]?.objectValue ?? [:]
            switch event.type {
            case OntologyEventType.thingCreated, OntologyEventType.thingRestored: properties = given
            case OntologyEventType.thingUpdated: properties.merge(given) { _, new in new }
            default: continue
            }
            guard let organization = event.groupId, let plugin = properties["plugin"]?.stringValue,
                let version = properties["version"]?.stringValue
            else { continue }
            let source = PluginScope(storedGroup: properties["source"]?.stringValue ?? PluginScope.globalGroup)
            held.insert(HeldVersion(organization: organization, plugin: plugin, source: source, version: version))
        }
        return held
    }

    /// Every module digest the plugin `id`'s stream ever recorded, by version: whole properties or merge patches,
    /// both keep releases under `releases.VERSION.artifact.sha256`.
    private static func digests(ofPlugin id: String, _ store: EventStore) throws(PlatformError) -> [String: Set<String>]
    {
        var digests: [String: Set<String>] = [:]
        for event in try collect(try stream(id, store)) {
            for (version, release) in event.metadata["properties"]?["releases"]?.objectValue ?? [:] {
                if let digest = release["artifact"]?["sha256"]?.stringValue {
                    digests[version, default: []].insert(digest)
                }
            }
        }
        return digests
    }

    private static func stream(_ id: String, _ store: EventStore) throws(PlatformError) -> EventSequence {
        do {
            return try store.stream(id)
        } catch {
            throw .store(error)
        }
    }

    private static func collect(_ events: EventSequence) throws(PlatformError) -> [RecordedEvent] {
        do {
            return try events.collect()
        } catch {
            throw .store(error)
        }
    }
}
