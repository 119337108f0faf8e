import Annals
import AnnalsResolver

extension PluginPlatform {
    /// Syncs a registry from `source` into `scope`, as one atomic batch of events.
    ///
    /// Each entry is validated on its own: a bad one is reported in ``SyncReport/problems`` and skipped, never
    /// failing the sync. So is each release whose module is given by URL: one that cannot be downloaded, is larger
    /// than 64 MiB or has another SHA-256 than its entry gives is left out (a problem names the plugin, the version,
    /// the URL and why), the plugin's other releases are synced, and a version synced before keeps its record as it
    /// was (a plugin left with no release is skipped like any bad entry). Plugins are upserted idempotently —
    /// syncing the same index twice appends no plugin events, only the registry's record of the sync when something
    /// was skipped or changed. A plugin the source no longer lists is withdrawn (status `withdrawn`), not deleted, so
    /// installs that use it keep working.
    /// A name already listed by another registry of the same scope is skipped with a problem.
    ///
    /// A source that does not look like the registry is refused: one that lists no plugin at all, and one most of
    /// whose entries are skipped while it would withdraw more than half of the plugins the registry lists (unless
    /// `allowingWithdrawal`). So is a source other than the one the registry records when `name` is not given: two
    /// sources of the same base name would otherwise become one registry, each sync withdrawing the other's plugins.
    /// - Parameters:
    ///   - source: The file, directory or URL to read.
    ///   - scope: ``PluginScope/global`` or an organization's private registry.
    ///   - name: The registry's name (default: ``RegistrySource/defaultName``). Given, it may name a registry synced
    ///     from another source: the registry then moves to `source`.
    ///   - allowingWithdrawal: Whether to sync a source most of whose entries are skipped even when it withdraws more
    ///     than half of the registry's plugins (the CLI's `--allow-withdraw`).
    ///   - actorId: Who syncs.
    ///   - downloadTimeouts: How long each download (a registry file or a module given by URL) may take. Once a
    ///     module's host cannot be connected to or sends no response to a request, no other module is downloaded
    ///     from it in this sync: each is skipped with a problem naming the host and its first failure. Reading the
    ///     source and downloading happen on a thread of their own, never holding one of the cooperative pool's
    ///     threads; cancelling the calling task does not stop them (their timeouts bound them).
    /// - Throws: ``PlatformError/unreadableSource(source:reason:)`` when the source cannot be read at all (a
    ///   registry file given by URL that cannot be downloaded included), lists no plugin, would withdraw most of the
    ///   registry while most of its entries are skipped, or a downloaded module cannot be stored;
    ///   ``PlatformError/invalidArgument(_:)`` when `name` is not given and the registry of the source's default
    ///   name records another source;
    ///   ``PlatformError/store(_:)`` when the append fails (nothing is written then), with
    ///   ``AnnalsError/conflictingAppend(offset:plannedAt:)`` when another change to the scope's plugins (another
    ///   sync) was appended while this one was planned: syncing again applies this listing to the new state.
    public func sync(
        _ source: RegistrySource, scope: PluginScope, name: String? = nil, allowingWithdrawal: Bool = false,
        actorId: String, downloadTimeouts: DownloadTimeouts = .standard
    ) async throws(PlatformError) -> SyncReport {
        let registryName = name ?? source.defaultName
        if let problem = Self.registryNameProblem(registryName) {
            // A name derived from the source: say how to give one instead.
            throw .invalidArgument(problem + (name == nil ? " (derived from the source; give one with --name)" : ""))
        }
        // Before reading (and downloading): the plan checks again, on the state it is planned from.
        let sameSourceOnly = name == nil
        if sameSourceOnly {
            let registry = try view { try $0.thing(PlatformIDs.registry(registryName, in: scope)) }
            try SyncPlanner.requireSameSource(registry, named: registryName, source: source)
        }
        // Reading the source, locking the cache and downloading block for as long as the network takes: on a thread
        // of their own, not one of the cooperative pool's.
        let cache = ArtifactCache(storePath: store.path)
        let localized = try await onDedicatedThread(named: "annals.sync") { () throws(PlatformError) in
            var listing = try source.read(timeouts: downloadTimeouts)
            // Whether the source is a registry at all is judged on what it lists, before any download: a release
            // whose module cannot be downloaded is one entry's problem, not a sign that the source is no registry.
            let listsNoPlugin = listing.plugins.isEmpty
            let entriesSkipped = listing.problems
            // Modules given by URL are downloaded now: plugins run from local files only. The cache stays locked
            // (shared) until the events that record them are appended: a prune meanwhile would find them
            // unreferenced.
            let cacheLock =
                ArtifactCache.hasRemoteArtifacts(listing, source: source)
                ? try ArtifactCacheLock(directory: cache.directory, exclusive: false) : nil
            do throws(PlatformError) {
                try cache.localize(&listing, source: source, timeouts: downloadTimeouts)
            } catch {
                cacheLock?.unlock()
                throw error
            }
            return (listing, listsNoPlugin, entriesSkipped, cacheLock)
        }
        let (listing, listsNoPlugin, entriesSkipped, cacheLock) = localized
        defer { cacheLock?.unlock() }
        // An entry must fit in one event with room for the event's own fields (metadata, ids).
        let maximumEntrySize = max(store.options.maximumEventSize - 16_384, 1_024)
        var plan = try view {
            try SyncPlanner(
                listing, scope: scope, registry: registryName, source: source, sameSourceOnly: sameSourceOnly,
                maximumEntrySize: maximumEntrySize, $0)
        }
        let builder = OntologyEventBuilder(
            actorId: actorId, groupId: scope.groupId,
            context: [
                "plugin": [
                    "operation": "sync", "request": .string("sync \(registryName)"), "registry": .string(registryName),
                    // The offset it was planned at, as every operation's batch records it: what tells its events
                    // from those of the next sync of the same registry (`pluginOperationBatch(containing:)`).
                    "basis": .integer(plan.plannedAt),
                ]
            ])
        var events = plan.events(builder)
        var report = plan.report
        // A source with no plugin to offer (an error page, `{}`) would withdraw the whole registry, or record an error
        // page as a new one: refused, since a registry that really emptied itself is far rarer than a source that is
        // not the registry.
        if listsNoPlugin {
            let count = entriesSkipped.count
            let skipped = "it lists no plugin (\(count) \(count == 1 ? "entry" : "entries") skipped)"
            throw .unreadableSource(
                source: source.location,
                reason: (report.removed.isEmpty
                    ? "\(skipped), so it is no registry to record as '\(registryName)'; nothing was written"
                    : "\(skipped), so syncing it would withdraw all \(report.removed.count) plugins of registry "
                        + "'\(registryName)'; nothing was written") + Self.skippedEntriesSummary(entriesSkipped))
        }
        // Nor one that is mostly not the registry: most entries skipped (an error page with a value that looks like a
        // repository) while it withdraws more than half of what the registry lists.
        let entries = listing.plugins.count + entriesSkipped.count
        if !allowingWithdrawal, entriesSkipped.count * 2 > entries, report.removed.count * 2 > plan.listedBefore {
            throw .unreadableSource(
                source: source.location,
                reason: "\(entriesSkipped.count) of its \(entries) entries were skipped, and syncing it would withdraw "
                    + "\(report.removed.count) of the \(plan.listedBefore) plugins registry '\(registryName)' lists; "
                    + "nothing was written (to sync it anyway, allow the withdrawals: --allow-withdraw)"
                    + Self.skippedEntriesSummary(entriesSkipped))
        }
        if !events.isEmpty || !report.problems.isEmpty {
            events += plan.registryEvents(builder)
        }
        // Conditional on the scope's views as planned: of two syncs at once, the second fails (exit 3) instead of
        // mixing its listing into the first's.
        // Installs anywhere count too: which dropped versions are kept (yanked) depends on them.
        let receipts = try await appendBatch(
            events, plannedAt: plan.plannedAt, groups: [scope.groupId], installsAnywhere: true)
        report.events = receipts.count
        report.offset = receipts.last?.offset
        return report
    }
}

extension PluginPlatform {
    /// Why the entries of a source that lists no plugin were skipped, to end its error with (the report that would
    /// name them is not returned): the first five, then how many more.
    static func skippedEntriesSummary(_ problems: [EntryProblem]) -> String {
        guard !problems.isEmpty else { return "" }
        let shown = problems.prefix(5).map { "skipped \($0)" }.joined(separator: "; ")
        let more = problems.count > 5 ? "; and \(problems.count - 5) more" : ""
        return ". " + shown + more
    }

    /// What is wrong with `name` as a registry's name (1–48 ASCII letters, digits, `-` or `_`), or `nil`.
    public static func registryNameProblem(_ name: String) -> String? {
        let valid =
            !name.isEmpty && name.count <= 48
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        return valid ? nil : "registry name '\(name)' must be 1–48 letters, digits, '-' or '_'"
    }
}

/// Compares a registry listing with the views and works out the events that make them agree.
struct SyncPlanner {
    private(set) var report: SyncReport
    /// The offset of the views the plan was computed from.
    let plannedAt: UInt64
    private let scope: PluginScope
    private let registry: String
    private let registryId: String
    private let source: RegistrySource
    private let registryThing: Thing?
    /// How many plugins the registry listed (not withdrawn) before the sync.
    private(set) var listedBefore = 0
    private var upserts: [(plugin: Plugin, existing: Thing?)] = []
    private var withdrawals: [Thing] = []
    private var dependencyEdges: [String: [String: JSONValue]] = [:]  // plugin id → target id → properties
    private var existingEdges: [String: [Connection]] = [:]
    /// The `provides` connections to each listed plugin (from its registry), by plugin id.
    private var providers: [String: [Connection]] = [:]
    private var knowledge: [String: KnowledgeItem] = [:]

    /// Plans the sync of `listing` as registry `registry` of `scope` from the state `view` shows.
    /// - Parameter sameSourceOnly: Whether a registry that records another source is refused (its name was derived
    ///   from the source) rather than moved to this one (its name was given).
    /// - Throws: ``PlatformError/invalidArgument(_:)`` for another source with `sameSourceOnly`; the view's errors.
    init(
        _ listing: RegistryListing, scope: PluginScope, registry: String, source: RegistrySource,
        sameSourceOnly: Bool, maximumEntrySize: Int, _ view: OntologyView
    ) throws {
        self.scope = scope
        self.registry = registry
        plannedAt = view.offset
        self.registryId = PlatformIDs.registry(registry, in: scope)
        self.source = source
        registryThing = try view.thing(registryId)
        if sameSourceOnly { try Self.requireSameSource(registryThing, named: registry, source: source) }
        report = SyncReport(
            registry: registry, scope: scope, format: listing.format, added: [], changed: [], removed: [],
            unchanged: 0, problems: listing.problems, warnings: listing.warnings, events: 0, offset: nil)

        let inScope = try view.things(
            ThingFilter(thingType: PlatformIDs.pluginType, groupId: scope.groupId, limit: .max))
        let byId = Dictionary(uniqueKeysWithValues: inScope.map { ($0.id, $0) })
        listedBefore = inScope.count {
            $0.properties["registry"]?.stringValue == registry && $0.status != PlatformIDs.withdrawnStatus
        }
        // The versions installed anywhere, by plugin id: a version the listing drops stays (yanked) only if installed.
        var installed: [String: Set<SemanticVersion>] = [:]
        for thing in try view.things(ThingFilter(thingType: PlatformIDs.installType, limit: .max)) {
            guard let install = PluginInstall(thing) else { continue }
            installed[PlatformIDs.plugin(install.name, in: install.source), default: []].insert(install.version)
        }
        var listed: Set<String> = []
        for var plugin in listing.plugins {
            plugin.scope = scope
            plugin.registry = registry
            let id = plugin.thingId
            let existing = byId[id]
            if let existing, let owner = existing.properties["registry"]?.stringValue, owner != registry,
                existing.status != PlatformIDs.withdrawnStatus
            {
                report.problems.append(
                    EntryProblem(
                        entry: plugin.name, location: "-",
                        reason: "already listed by registry '\(owner)' in scope \(scope); skipped"))
                continue
            }
            // The record synced before, decoded once for the checks against it.
            let published = existing.flatMap(Plugin.init)
            let unavailable = listing.unavailableReleases[plugin.name] ?? []
            if let published {
                plugin.releases = keepingPublished(
                    plugin, published, installed: installed[id] ?? [], unavailable: unavailable)
            }
            Self.retargetTags(of: &plugin, awayFrom: unavailable)
            // Measured as it would be stored, its yanked versions included.
            let size = plugin.properties.canonicalBytes.count + PluginSearchText.document(for: plugin).utf8.count
            guard size <= maximumEntrySize else {
                report.problems.append(
                    EntryProblem(
                        entry: plugin.name, location: "-",
                        reason: "the entry takes \(size) bytes once stored, more than the \(maximumEntrySize) one "
                            + "plugin may (the store's maximum event size, less room for the event's own fields); "
                            + "skipped"))
                continue
            }
            // Said only now that the entry is taken: a skipped one keeps its record as it was.
            let newlyYanked = plugin.releases.filter { release in
                release.yanked && published?.release(release.version)?.yanked == false
            }.map(\.version.description)
            if !newlyYanked.isEmpty {
                report.warnings.append(
                    "\(plugin.name): version\(newlyYanked.count == 1 ? "" : "s") \(newlyYanked.joined(separator: ", ")) "
                        + "no longer listed, kept as yanked (installs of it keep working; new installs do not choose it)"
                )
            }
            listed.insert(id)
            upserts.append((plugin, existing))
            // The plugin's own search text, by its id: other knowledge about the plugin (a note) is not it.
            if let item = try view.knowledgeItem(PlatformIDs.knowledge(about: id)) { knowledge[id] = item }
            existingEdges[id] = try view.connections(
                ConnectionFilter(fromId: id, connectionType: PlatformIDs.dependsOn, limit: .max))
            if existing != nil {
                providers[id] = try view.connections(
                    ConnectionFilter(toId: id, connectionType: PlatformIDs.provides, limit: .max))
            }
        }
        // A plugin whose entry was skipped as damaged is still listed: it keeps what an earlier sync recorded. An
        // entry whose name could not be read could be any plugin, so then nothing is withdrawn.
        let damaged = Set(report.problems.map(\.entry))
        // Unnamed: `#N` (no name could be read) or `?` (not even the member could be delimited). An invalid name
        // was read, and no stored plugin has it.
        let unnamed = listing.problems.contains { $0.entry == "?" || $0.entry.hasPrefix("#") }
        if unnamed {
            report.warnings.append(
                "an entry's name could not be read, so no plugin missing from the listing was withdrawn")
        }
        withdrawals =
            unnamed
            ? []
            : inScope.filter {
                $0.properties["registry"]?.stringValue == registry && !listed.contains($0.id)
                    && !damaged.contains($0.name ?? "") && $0.status != PlatformIDs.withdrawnStatus
            }
        // Dependencies become depends_on edges to plugins visible from this scope (its own, then global).
        let listedIds = Set(upserts.map(\.plugin.thingId))
        for (plugin, _) in upserts {
            var ranges: [String: [String: JSONValue]] = [:]
            for release in plugin.releases {
                for (dependency, range) in release.dependencies {
                    ranges[dependency, default: [:]][release.version.description] = .string(range.description)
                }
            }
            var edges: [String: JSONValue] = [:]
            for (dependency, byVersion) in ranges {
                let own = PlatformIDs.plugin(dependency, in: scope)
                let global = PlatformIDs.plugin(dependency, in: .global)
                let target: String? =
                    if listedIds.contains(own) || byId[own] != nil {
                        own
                    } else if scope != .global,
                        try view.thing(global) != nil
                    { global } else { nil }
                if let target { edges[target] = .object(["name": .string(dependency), "ranges": .object(byVersion)]) }
            }
            dependencyEdges[plugin.thingId] = edges
        }
    }

    /// Refuses to sync `source` as `registry` (`name`), which records another source, under a name derived from the
    /// source: two sources of the same base name (`a/index.json`, `b/index.json`) would silently become one registry.
    /// - Throws: ``PlatformError/invalidArgument(_:)`` naming both sources and what to give instead.
    static func requireSameSource(_ registry: Thing?, named name: String, source: RegistrySource) throws(PlatformError)
    {
        guard let recorded = registry?.properties["source"]?.stringValue, recorded != source.location else { return }
        throw .invalidArgument(
            "registry '\(name)' (a name derived from the source) was synced from '\(recorded)', not from "
                + "'\(source.location)': give --name to sync this source as a registry of its own, or --name \(name) "
                + "to move registry '\(name)' to it; nothing was written")
    }

    /// `plugin`'s releases, checked against those synced before.
    ///
    /// A published version is immutable: one the listing changes (its module's digest, dependencies, permissions,
    /// actions or subscriptions) is kept as it was, and reported as a problem (so `--strict` fails), so a registry
    /// cannot swap the code or the permissions of a version organizations installed; a module moved with the same
    /// digest is taken. A version the listing no longer has is kept, yanked, if some organization has it
    /// installed (in `installed`): those installs keep resolving and running, and no new resolution chooses it (the
    /// caller warns about it); a version nobody installed is dropped. Listed again, a yanked version is offered again.
    /// A version left out because its module could not be downloaded (in `unavailable`) is kept exactly as it was
    /// synced before: a failed download changes nothing already synced.
    private mutating func keepingPublished(
        _ plugin: Plugin, _ published: Plugin, installed: Set<SemanticVersion>, unavailable: Set<SemanticVersion>
    ) -> [PluginRelease] {
        var releases = plugin.releases.map { release in
            guard let before = published.release(release.version) else { return release }
            let changed = before.changes(in: release)
            guard !changed.isEmpty else { return release }
            report.problems.append(
                EntryProblem(
                    entry: plugin.name, location: "-",
                    reason: "version \(release.version) changes " + changed.joined(separator: ", ")
                        + ", but a published version cannot change: the one synced before is kept (publish a new "
                        + "version instead)"))
            var kept = before
            if let artifact = release.artifact, artifact.sha256 == before.artifact?.sha256 { kept.artifact = artifact }
            kept.coreRange = release.coreRange
            kept.yanked = false
            return kept
        }
        releases += published.releases.filter { unavailable.contains($0.version) }
        let listed = Set(releases.map(\.version))
        let unlisted = published.releases.filter { !listed.contains($0.version) && installed.contains($0.version) }
        releases += unlisted.map { release in
            var yanked = release
            yanked.yanked = true
            return yanked
        }
        return releases.sorted { $0.version < $1.version }
    }

    /// Moves `plugin`'s dist-tags off the versions left out because their module could not be had and not kept
    /// from an earlier sync: `latest` to the newest release left, any other tag dropped.
    private static func retargetTags(of plugin: inout Plugin, awayFrom unavailable: Set<SemanticVersion>) {
        for (tag, version) in plugin.distTags where unavailable.contains(version) && plugin.release(version) == nil {
            plugin.distTags[tag] = tag == "latest" ? plugin.latest?.version : nil
        }
    }

    /// The plugin events: creations and updates first, then knowledge, then dependency edges.
    mutating func events(_ builder: OntologyEventBuilder) -> [NewEvent] {
        var things: [NewEvent] = []
        var after: [NewEvent] = []
        for (plugin, existing) in upserts {
            let id = plugin.thingId
            let text = PluginSearchText.document(for: plugin)
            var labels = [PlatformIDs.pluginLabel]
            if let category = plugin.category { labels.append("category:\(category)") }
            let knowledgeId = PlatformIDs.knowledge(about: id)
            let currentKnowledge = knowledge[id]
            let knowledgeChanged = currentKnowledge.map { $0.text != text || $0.labels.sorted() != labels.sorted() }
            if let existing {
                let patch = MergePatchDiff.patch(from: existing.properties, to: plugin.properties)
                let reactivated = existing.status == PlatformIDs.withdrawnStatus
                if let update = builder.updateThing(id, patch: patch, status: reactivated ? "active" : nil) {
                    things.append(update)
                    if reactivated { report.added.append(plugin.name) } else { report.changed.append(plugin.name) }
                } else if knowledgeChanged != false {
                    report.changed.append(plugin.name)
                } else {
                    report.unchanged += 1
                }
            } else {
                things.append(
                    builder.createThing(
                        id, type: PlatformIDs.pluginType, name: plugin.name, properties: plugin.properties))
                report.added.append(plugin.name)
            }
            after += providerEvents(for: id, builder)
            if knowledgeChanged != false {
                if currentKnowledge != nil { after.append(builder.deleteKnowledge(knowledgeId)) }
                after.append(builder.addKnowledge(knowledgeId, about: id, text: text, labels: labels))
            }
            after += edgeEvents(for: id, builder)
        }
        for thing in withdrawals {
            if let update = builder.updateThing(thing.id, patch: nil, status: PlatformIDs.withdrawnStatus) {
                things.append(update)
            }
            report.removed.append(thing.name ?? thing.id)
        }
        report.added.sort()
        report.changed.sort()
        report.removed.sort()
        let registryCreation =
            registryThing == nil && !(things.isEmpty && after.isEmpty)
            ? [
                builder.createThing(
                    registryId, type: PlatformIDs.registryType, name: registry, properties: registryProperties)
            ] : []
        return registryCreation + things + after
    }

    /// The registry's own record of the sync: what was added, changed, removed and skipped.
    func registryEvents(_ builder: OntologyEventBuilder) -> [NewEvent] {
        var record: [String: JSONValue] = [
            "format": .string(report.format.rawValue),
            "added": .array(report.added.prefix(1000).map(JSONValue.string)),
            "changed": .array(report.changed.prefix(1000).map(JSONValue.string)),
            "removed": .array(report.removed.prefix(1000).map(JSONValue.string)),
            "unchanged": .integer(report.unchanged),
            "skipped": .array(report.problems.prefix(1000).map { .string($0.description) }),
        ]
        record["source"] = .string(source.location)
        var events: [NewEvent] = []
        if registryThing == nil, report.added.isEmpty, report.changed.isEmpty, report.removed.isEmpty {
            events.append(
                builder.createThing(
                    registryId, type: PlatformIDs.registryType, name: registry, properties: registryProperties))
        }
        let patch: JSONValue = .object(["source": .string(source.location), "lastSync": .object(record)])
        if let update = builder.updateThing(registryId, patch: patch) { events.append(update) }
        return events
    }

    private var registryProperties: JSONValue {
        .object(["source": .string(source.location), "format": .string(report.format.rawValue)])
    }

    /// Makes this registry the one that `provides` plugin `id`: creates its connection when missing, and deletes
    /// another registry's, left there when this registry takes over a plugin the other one withdrew.
    private func providerEvents(for id: String, _ builder: OntologyEventBuilder) -> [NewEvent] {
        let current = providers[id] ?? []
        var events: [NewEvent] = current.filter { $0.fromId != registryId }.map { builder.deleteConnection($0.id) }
        if !current.contains(where: { $0.fromId == registryId }) {
            events.append(builder.createConnection(PlatformIDs.provides, from: registryId, to: id))
        }
        return events
    }

    /// Creates, updates and deletes `depends_on` edges from `id` so they match its releases.
    private func edgeEvents(for id: String, _ builder: OntologyEventBuilder) -> [NewEvent] {
        let wanted = dependencyEdges[id] ?? [:]
        var events: [NewEvent] = []
        var existing: [String: Connection] = [:]
        for connection in existingEdges[id] ?? [] { existing[connection.toId] = connection }
        for (target, properties) in wanted.sorted(by: { $0.key < $1.key }) {
            if let connection = existing[target] {
                if let patch = MergePatchDiff.patch(from: connection.properties, to: properties) {
                    events.append(builder.updateConnection(connection.id, patch: patch))
                }
            } else {
                events.append(
                    builder.createConnection(PlatformIDs.dependsOn, from: id, to: target, properties: properties))
            }
        }
        for (target, connection) in existing.sorted(by: { $0.key < $1.key }) where wanted[target] == nil {
            events.append(builder.deleteConnection(connection.id))
        }
        return events
    }
}
