import Annals
import AnnalsResolver

/// One organization's plugin state, read at one log offset: what it can see, what it has installed, and the
/// connections between its installs.
struct OrganizationState {
    /// The organization.
    let organization: String
    /// The offset the state was read at.
    let offset: UInt64
    /// The plugins the organization can resolve, by name: those it sees that are still offered, and those it has
    /// installed.
    let plugins: [String: Plugin]
    /// The names of plugins it sees that their registry withdrew.
    let withdrawn: Set<String>
    /// The names of global plugins its allowlist hides (and that it has not installed).
    let hidden: Set<String>
    /// The installed global plugins a private plugin of the same name now shadows, with the versions the private one
    /// lists, by name: the installs keep their global plugin (at the installed version), as allowlist-hidden ones do,
    /// and only new resolutions see the private one.
    let shadowed: [String: [SemanticVersion]]
    /// The yanked versions of the plugins it sees (left out of ``plugins`` unless installed), by name.
    let yanked: [String: [SemanticVersion]]
    /// The installs by plugin name.
    let installs: [String: PluginInstall]
    /// The `requires` connections leaving each install, by install id.
    let requires: [String: [Connection]]
    /// The `instance_of` connection of each install, by install id.
    let instanceOf: [String: Connection]
    /// The `subscribes_to` connections leaving each install, by install id.
    let subscriptions: [String: [Connection]]
    /// The ids of the organization's event-type things.
    let eventTypes: Set<String>
    /// The stream version of every install, and of every visible plugin's install stream that a removed install left
    /// (what `expectedVersion` checks), by install id.
    var streamVersions: [String: UInt64] = [:]

    /// Reads the state from `view`.
    init(organization: String, _ view: OntologyView) throws {
        self.organization = organization
        offset = view.offset
        var installs: [String: PluginInstall] = [:]
        var requires: [String: [Connection]] = [:]
        var instanceOf: [String: Connection] = [:]
        var subscriptions: [String: [Connection]] = [:]
        for thing in try view.things(
            ThingFilter(thingType: PlatformIDs.installType, groupId: organization, limit: .max))
        {
            guard let install = PluginInstall(thing) else { continue }
            installs[install.name] = install
            for connection in try view.connections(ConnectionFilter(fromId: thing.id, limit: .max)) {
                switch connection.connectionType {
                case PlatformIDs.requires: requires[thing.id, default: []].append(connection)
                case PlatformIDs.instanceOf: instanceOf[thing.id] = connection
                case PlatformIDs.subscribesTo: subscriptions[thing.id, default: []].append(connection)
                default: break
                }
            }
        }
        self.installs = installs
        // What the organization can resolve: the plugins it sees that are still offered, and every plugin it has
        // installed (even one withdrawn since, or hidden by an allowlist narrowed since, at its installed version
        // only), which its graph needs.
        let visibility = try PluginVisibility(.organization(organization), view)
        var plugins: [String: Plugin] = [:]
        var withdrawn: Set<String> = []
        var hidden: Set<String> = []
        var yanked: [String: [SemanticVersion]] = [:]
        var shadowed: [String: [SemanticVersion]] = [:]
        for group in [PluginScope.globalGroup, organization] {
            for thing in try view.things(ThingFilter(thingType: PlatformIDs.pluginType, groupId: group, limit: .max)) {
                guard var plugin = Plugin(thing) else { continue }
                if case .organization = plugin.scope, installs[plugin.name]?.source == .global,
                    plugins[plugin.name]?.scope == .global
                {
                    // The organization keeps its global install; the private plugin is for new resolutions only.
                    shadowed[plugin.name] = plugin.releases.filter { !$0.yanked }.map(\.version)
                    continue
                }
                let offered = visibility.shows(plugin) && !plugin.withdrawn
                if plugin.withdrawn && visibility.shows(plugin) { withdrawn.insert(plugin.name) }
                if !offered {
                    // Kept at what is installed, and nothing else: no longer offered, it is never moved.
                    guard let install = installs[plugin.name] else {
                        // Hidden by the allowlist, not shadowed by a private plugin of the same name (which, withdrawn,
                        // is reported as withdrawn: allowing the global one would not make it visible).
                        if !plugin.withdrawn, !visibility.shows(plugin), plugin.scope == .global,
                            !visibility.privateNames.contains(plugin.name)
                        {
                            hidden.insert(plugin.name)
                        }
                        continue
                    }
                    plugin.releases = plugin.releases.filter { $0.version == install.version }
                } else {
                    // A yanked version stays resolvable only where it is installed.
                    let installed = installs[plugin.name]?.version
                    let left = plugin.releases.filter { $0.yanked && $0.version != installed }.map(\.version)
                    if !left.isEmpty { yanked[plugin.name] = left }
                    plugin.releases.removeAll { $0.yanked && $0.version != installed }
                }
                plugins[plugin.name] = plugin
            }
        }
        self.plugins = plugins
        self.withdrawn = withdrawn
        self.hidden = hidden.subtracting(plugins.keys)
        self.yanked = yanked
        self.shadowed = shadowed
        self.requires = requires
        self.instanceOf = instanceOf
        self.subscriptions = subscriptions
        eventTypes = Set(
            try view.things(ThingFilter(thingType: PlatformIDs.eventTypeType, groupId: organization, limit: .max)).map(
                \.id))
    }

    /// How many times ``read(_:store:afterRead:)`` reads the state before it gives up on a store that keeps changing.
    static let readAttempts = 8

    /// Reads a consistent state and the installs' stream versions: retried until no event was appended between
    /// the two reads, so that `expectedVersion` on the plan's events catches any concurrent change.
    /// - Parameter afterRead: Called after each attempt's reads, before the log head is checked, for tests to append
    ///   meanwhile.
    /// - Throws: ``PlatformError/store(_:)`` with ``AnnalsError/conflictingAppend(offset:plannedAt:)`` (a conflict,
    ///   exit code 3: run the operation again) when an event was appended during each of ``readAttempts`` attempts.
    static func read(
        _ organization: String, store: EventStore, afterRead: (() throws -> Void)? = nil
    ) throws(PlatformError) -> OrganizationState {
        var overtaken: (offset: UInt64, plannedAt: UInt64) = (0, 0)
        for _ in 0..<readAttempts {
            do {
                var state = try store.read { try OrganizationState(organization: organization, $0) }
                for install in state.installs.values {
                    state.streamVersions[install.thingId] = try store.version(of: install.thingId)
                }
                // A plugin installed once and removed since has a stream, whose version a new install must expect.
                for name in state.plugins.keys where state.installs[name] == nil {
                    let id = PlatformIDs.install(name, organization: organization)
                    let version = try store.version(of: id)
                    if version > 0 { state.streamVersions[id] = version }
                }
                try afterRead?()
                let head = try store.head().offset
                if head == state.offset { return state }
                overtaken = (head, state.offset)
            } catch {
                throw PlatformError(error)
            }
        }
        // The state kept changing while it was read: a conflict, like a plan whose basis changed before its append.
        throw .store(.conflictingAppend(offset: overtaken.offset, plannedAt: overtaken.plannedAt))
    }

    /// The install of `name`, or a not-found error naming the organization.
    func install(_ name: String) throws(PlatformError) -> PluginInstall {
        guard let install = installs[name] else {
            throw .notFound(
                "'\(name)' is not installed in \(organization)"
                    + PluginNameSuggestion.hint(for: name, among: installs.keys))
        }
        return install
    }
}
