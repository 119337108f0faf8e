import Annals
import AnnalsResolver

extension PluginPlatform {
    /// Installs `name` in `organization` with everything it depends on, as one atomic batch of events.
    ///
    /// The organization's whole graph is resolved (npm semver semantics, newest satisfying versions). Plugins are
    /// installed in topological order; dependencies already installed at a satisfying version are kept. A first
    /// install grants the permissions the plugin and its new dependencies ask for (listed in the plan's steps); an
    /// installed dependency that the resolution moves to a version asking for more needs those granted with
    /// `grants`, and so does, in an install of a plugin already installed, a dependency it installs anew (as in
    /// ``update(_:range:organization:grants:actorId:dryRun:)``).
    /// - Parameters:
    ///   - name: The plugin's name.
    ///   - range: A version range (`^1.2.0`, `~0.3`, `>=2 <3`) or dist-tag (`latest`, `alpha`); by default the
    ///     `latest` version with npm's caret (`^1.4.0`).
    ///   - organization: Where to install.
    ///   - grants: Permissions granted to installed plugins whose new versions ask for more, and, when `name` is
    ///     installed already, to the dependencies the install adds. Each must be asked for by some plugin the
    ///     organization has after the install, or the install is refused with ``PlatformError/invalidArgument(_:)``
    ///     naming it and what the plugins ask for.
    ///   - actorId: Who installs.
    ///   - dryRun: Plan only; append nothing.
    /// An install of a plugin already installed in `organization` moves it to the newest version in the range that
    /// the organization's other requirements allow (`install NAME` again moves it to the newest in `^latest`), as an
    /// update would. One that changes its version is recorded like an update (``PluginInstall/lastUpdate``: the
    /// offset and version it came from, and every install it changed), so
    /// ``rollback(_:organization:to:actorId:dryRun:)`` returns to where it was; one that keeps the version (only the
    /// request changes, or nothing) records no update and keeps the last one.
    /// - Returns: The plan, with ``InstallPlan/offset`` set when it was applied.
    /// - Throws: ``PlatformError/notFound(_:)`` for a plugin the organization cannot see,
    ///   ``PlatformError/resolutionFailed(explanation:)`` with a PubGrub-style explanation and suggestions,
    ///   ``PlatformError/permissionsNotGranted(plugin:version:permissions:)``,
    ///   ``PlatformError/pinnedWouldChange(plugin:version:removed:)`` naming a pinned install that nothing would require
    ///   any more (it is never removed), or
    ///   ``PlatformError/store(_:)`` (a version conflict means a concurrent change: nothing was written).
    public func install(
        _ name: String, range: String? = nil, organization: String, grants: [String] = [], actorId: String,
        dryRun: Bool = false
    ) async throws(PlatformError) -> InstallPlan {
        let org = try PluginScope.checkedOrganization(organization)
        try Self.checkGrants(grants)
        let state = try OrganizationState.read(org, store: store)
        if state.withdrawn.contains(name), state.installs[name] == nil {
            throw .notFound("'\(name)' was withdrawn from its registry; it can no longer be installed")
        }
        let requestedRange = try self.range(range, of: name, in: state)
        var planner = InstallPlanner(state: state, operation: "install", request: "install \(name)@\(requestedRange)")
        planner.requested[name] = requestedRange
        // Installing an installed plugin again moves it to the newest version in the range (within what its
        // dependents allow), so its installed version is not preferred; the other installs' are.
        planner.unlocked = [name]
        planner.upgradesNeedGrants = true
        planner.grants = Set(grants)
        // Installing an installed plugin again is an update when it changes its version: recorded like one, so
        // `rollback` returns to where it was.
        planner.updateNeedsNewVersion = true
        let recorded = state.installs[name] == nil ? nil : name
        // It grants like an update too: a dependency it installs anew needs its permissions given with `grants`
        // (else the same install with `update` would be refused, and this one would grant them silently). Only a
        // first install grants what the plugin and its new dependencies ask for.
        planner.newInstallsNeedGrants = recorded != nil
        return try await apply(planner.plan(actorId: actorId, recordUpdateOf: recorded), from: state, dryRun: dryRun)
    }

    /// Updates `name` in `organization` to the newest version its dependents allow (or the newest in `range`),
    /// moving its dependencies as needed, as one atomic batch.
    ///
    /// The install records the offset and version it updated from, and every install the update changed: what
    /// ``rollback(_:organization:to:actorId:dryRun:)`` returns to.
    /// - Parameters:
    ///   - grants: Permissions the new version, or a dependency it installs anew, asks for that were not granted yet;
    ///     the update is refused without them. A permission that no plugin the organization has after the update
    ///     asks for is refused with ``PlatformError/invalidArgument(_:)``.
    /// - Throws: ``PlatformError/pinned(plugin:version:)`` when `name` is pinned,
    ///   ``PlatformError/pinnedWouldChange(plugin:version:removed:)`` when another pinned install would be removed
    ///   (nothing would require it any more), ``PlatformError/permissionsNotGranted(plugin:version:permissions:)``,
    ///   ``PlatformError/resolutionFailed(explanation:)``, ``PlatformError/notFound(_:)``.
    public func update(
        _ name: String, range: String? = nil, organization: String, grants: [String] = [], actorId: String,
        dryRun: Bool = false
    ) async throws(PlatformError) -> InstallPlan {
        let org = try PluginScope.checkedOrganization(organization)
        try Self.checkGrants(grants)
        let state = try OrganizationState.read(org, store: store)
        let install = try state.install(name)
        if install.pinned { throw .pinned(plugin: name, version: install.version.description) }
        guard let plugin = state.plugins[name] else {
            throw .notFound("no registry visible to \(org) lists '\(name)' any more")
        }
        let target: VersionRange?
        if let range {
            target = try self.range(range, of: name, in: state)
        } else if !install.isExplicit {
            // A dependency moves to the newest version its dependents allow (prereleases included, as their ranges
            // say), whatever the latest is: no requirement of its own.
            target = nil
        } else if let latest = newest(of: plugin, for: install.version) {
            // The version `outdated` offers: a prerelease install moves to the newest release, never back to an
            // older stable one.
            target = try caret(latest.version)
        } else {
            throw .notFound("'\(name)' has no published versions")
        }
        let request = "update \(name) to " + (target.map { "\($0)" } ?? "the newest its dependents allow")
        var planner = InstallPlanner(state: state, operation: "update", request: request)
        planner.requested[name] = target
        // A dependency is updated within what its dependents accept, and stays a dependency.
        if !install.isExplicit { planner.transient = [name] }
        planner.unlocked = [name]
        planner.grants = Set(grants)
        planner.newInstallsNeedGrants = true
        return try await apply(planner.plan(actorId: actorId, recordUpdateOf: name), from: state, dryRun: dryRun)
    }

    /// Refuses a `--grant` that is not a permission.
    private static func checkGrants(_ grants: [String]) throws(PlatformError) {
        for grant in grants {
            if let problem = PluginPermission.problem(grant) { throw .invalidArgument("--grant: \(problem)") }
        }
    }

    /// Appends a plan's events, unless it is a dry run or there are none: only if nothing that the plan was
    /// resolved from (the organization's installs and registries, the global registries) changed since `state`
    /// was read. An install that keeps a dependency writes no event on it, so `expectedVersion` alone would let a
    /// concurrent update move that dependency out of the range the new install requires.
    func apply(_ plan: InstallPlan, from state: OrganizationState, dryRun: Bool) async throws(PlatformError)
        -> InstallPlan
    {
        var plan = plan
        guard !dryRun else { return plan }
        plan.offset = try await appendBatch(
            plan.events, plannedAt: state.offset, groups: [state.organization, PluginScope.globalGroup]
        ).last?.offset
        return plan
    }

    /// The range `text` names for `name`: a range, a dist-tag (`latest` → `^VERSION`), or by default `^latest`.
    func range(_ text: String?, of name: String, in state: OrganizationState) throws(PlatformError) -> VersionRange {
        guard let plugin = state.plugins[name] else {
            if state.hidden.contains(name) {
                // As for a dependency the allowlist hides: say why, instead of calling the plugin unknown.
                throw .notFound(
                    "no registry visible to \(state.organization) lists '\(name)': it exists in the global registry "
                        + "but \(state.organization)'s allowlist hides it (add it with 'annals plugin allow --group "
                        + "\(state.organization)'; the list replaces the current one)")
            }
            throw .notFound(
                "no registry visible to \(state.organization) lists '\(name)'"
                    + PluginNameSuggestion.hint(for: name, among: state.plugins.keys))
        }
        guard let text else {
            guard let latest = plugin.distTags["latest"] ?? plugin.latest?.version else {
                throw .notFound("'\(name)' has no published versions")
            }
            return try caret(latest)
        }
        // A dist-tag of exactly this name wins over reading it as a range: the ElizaOS registry's `v0` and `v1` tags
        // name versions compatible with core v0 and v1 (`v1` may be 2.3.0), which the ranges `0` and `1` would miss.
        if let version = plugin.distTags[text] { return try caret(version) }
        do {
            return try VersionRange(parsing: text)
        } catch {
            guard case .distTag(let tag) = error.reason else { throw .invalidArgument(error.description) }
            guard let version = plugin.distTags[tag] else {
                let known = plugin.distTags.keys.sorted().joined(separator: ", ")
                throw .invalidArgument("'\(name)' has no dist-tag '\(tag)' (it has: \(known.isEmpty ? "none" : known))")
            }
            return try caret(version)
        }
    }

    /// `^VERSION`.
    func caret(_ version: SemanticVersion) throws(PlatformError) -> VersionRange {
        do {
            return try VersionRange(parsing: "^\(version)")
        } catch {
            throw .invalidArgument(error.description)
        }
    }
}
