import Annals
import AnnalsResolver

/// What a plugin rollback returns to.
public enum PluginRollbackTarget: Sendable, Hashable {
    /// The state as of a log offset.
    case offset(UInt64)
    /// The state just before the install last left this version.
    case version(SemanticVersion)
}

/// What `rollback` did: the offset it returned to and the compensating changes.
public struct PluginRollback: Sendable {
    /// The offset whose state the installs returned to.
    public var targetOffset: UInt64
    /// The installs the rollback covered.
    public var instances: [String]
    /// The entities it changed (installs and their connections), with their current and target states.
    public var changes: [RollbackChange]
    /// The permissions it takes from the installs it restores, by plugin name: those granted since the target offset
    /// that the version an install returns to does not ask for (empty when it takes none).
    public var revokedGrants: [String: [String]]
    /// The offset of its last event, or `nil` for a dry run or when nothing differed.
    public var offset: UInt64?
}

extension PluginPlatform {
    /// Pins `name`: updates leave it at its version (a pinned install is locked during resolution).
    /// - Returns: The offset of the change, or `nil` when it was already pinned.
    public func pin(_ name: String, organization: String, actorId: String) async throws(PlatformError) -> UInt64? {
        try await setPinned(true, name, organization, actorId)
    }

    /// Unpins `name`.
    /// - Returns: The offset of the change, or `nil` when it was not pinned.
    public func unpin(_ name: String, organization: String, actorId: String) async throws(PlatformError) -> UInt64? {
        try await setPinned(false, name, organization, actorId)
    }

    private func setPinned(
        _ pinned: Bool, _ name: String, _ organization: String, _ actorId: String
    ) async throws(PlatformError) -> UInt64? {
        let org = try PluginScope.checkedOrganization(organization)
        let state = try OrganizationState.read(org, store: store)
        let install = try state.install(name)
        guard install.pinned != pinned else { return nil }
        let builder = OntologyEventBuilder(
            actorId: actorId, groupId: org,
            context: ["plugin": ["operation": .string(pinned ? "pin" : "unpin"), "basis": .integer(state.offset)]])
        let event = builder.updateThing(
            install.thingId, patch: ["pinned": .bool(pinned)], expectedVersion: state.streamVersions[install.thingId])
        return try await appendBatch([event!]).last?.offset
    }

    /// The history of `name`'s install in `organization`, read from its event stream, oldest first.
    public func history(_ name: String, organization: String) throws(PlatformError) -> [InstallHistoryEntry] {
        let org = try PluginScope.checkedOrganization(organization)
        let entries = try InstallHistoryEntry.read(PlatformIDs.install(name, organization: org), store: store)
        guard !entries.isEmpty else {
            let installed = try view { view in try PluginInstall.names(in: org, view) }
            throw .notFound(
                "'\(name)' has never been installed in \(org)" + PluginNameSuggestion.hint(for: name, among: installed))
        }
        return entries
    }

    /// Returns `name`'s install (and the installs that moved with it) to an earlier state, by replay: the state
    /// as of the target offset is computed from the log and compensating events are appended (the log is never
    /// rewritten).
    ///
    /// Without a target it undoes the last update: every install that update changed returns to its state just
    /// before it. With ``PluginRollbackTarget/offset(_:)`` or ``PluginRollbackTarget/version(_:)``, the install
    /// and its dependencies (then and now) return to that state. A rollback that would break another install
    /// (one that requires a covered install at a version the rollback leaves) is refused. `name`'s own request
    /// returns to what it was; a covered install the organization asked for itself keeps its request, which the
    /// version it returns to satisfies (else the rollback is refused), so that a rollback of one plugin never undoes
    /// the organization's request for another.
    ///
    /// Grants follow the version an install returns to, `name`'s and the other covered installs' alike: each holds
    /// what it was granted at the target (which covers what that version asked for), plus any permission granted
    /// since that the version asks for; a permission granted since that it does not ask for is revoked (the runtime
    /// would give it to the older module) and named in ``PluginRollback/revokedGrants``. An update back to the later
    /// version asks for it again (``PlatformError/permissionsNotGranted(plugin:version:permissions:)``).
    /// - Throws: ``PlatformError/noRollbackTarget(_:)`` when there is nothing to return to,
    ///   ``PlatformError/resolutionFailed(explanation:)`` when it would break another install,
    ///   ``PlatformError/pinned(plugin:version:)`` when `name` is pinned and the rollback would change it,
    ///   ``PlatformError/pinnedWouldChange(plugin:version:removed:)`` when it would change or remove another pinned
    ///   install, ``PlatformError/store(_:)`` (a version conflict: something changed concurrently; nothing was
    ///   written).
    public func rollback(
        _ name: String, organization: String, to target: PluginRollbackTarget? = nil, actorId: String,
        dryRun: Bool = false
    ) async throws(PlatformError) -> PluginRollback {
        let org = try PluginScope.checkedOrganization(organization)
        let state = try OrganizationState.read(org, store: store)
        let install = try state.install(name)
        let offset: UInt64
        var ids: Set<String> = [install.thingId]
        switch target {
        case nil:
            guard let update = install.lastUpdate else {
                throw .noRollbackTarget("'\(name)' in \(org) has no update to roll back; give --to OFFSET or VERSION")
            }
            offset = update.fromOffset
            ids.formUnion(update.instances)
        case .offset(let given):
            guard given < state.offset else {
                throw .invalidArgument("--to \(given) is not before the log head \(state.offset)")
            }
            try checkBatchBoundary(given)
            offset = given
        case .version(let version):
            offset = try self.offset(before: name, leftVersion: version, install: install)
        }
        // The requirements as of the target (a replay to it): what a rollback to a version or offset also covers,
        // and what the installs it restores will require again.
        let requiresThen = try historicalRequires(org, at: offset)
        if target != nil {
            ids.formUnion(requiresClosure(of: install.thingId, state.requires))
            ids.formUnion(requiresClosure(of: install.thingId, requiresThen))
        }

        var plan: RollbackPlan
        do {
            plan = try store.planRollback(to: offset, scope: .things(ids), actorId: actorId)
        } catch {
            throw .store(error)
        }
        try checkNothingElseBreaks(plan, covering: ids, rolledBack: install, state, requiresThen: requiresThen)
        plan = keepingRequests(in: plan, of: state, rolledBack: install)
        let releases = try restoredReleases(of: plan)
        plan = keepingGrants(in: plan, releases: releases)
        // A pinned install is locked, for a rollback as for an update: one the plan would change must be unpinned
        // first (one it leaves as it is does not matter).
        let changed = Dictionary(plan.changes.map { ($0.id, $0.action) }, uniquingKeysWith: { first, _ in first })
        if let pinned = state.installs.values.sorted(by: { $0.name < $1.name }).first(where: {
            $0.pinned && changed[$0.thingId] != nil
        }) {
            let version = pinned.version.description
            guard pinned.name == install.name else {
                let removed = changed[pinned.thingId] == .delete
                throw .pinnedWouldChange(plugin: pinned.name, version: version, removed: removed)
            }
            throw .pinned(plugin: pinned.name, version: version)
        }
        // Each event says which state the rollback was computed from, like every other plugin operation.
        let context: JSONValue = ["operation": "rollback", "basis": .integer(plan.head), "toOffset": .integer(offset)]
        let events = plan.events.map { event in
            var event = event
            if case .object(var metadata) = event.metadata {
                metadata["plugin"] = context
                event.metadata = .object(metadata)
            }
            return event
        }
        // Measured with that context, which the plan's own size check did not see: a dry run fails where the
        // rollback would.
        do {
            try store.checkSizes(of: events, toAppendFor: plan)
        } catch {
            throw .store(error)
        }
        var result = PluginRollback(
            targetOffset: offset, instances: ids.sorted(), changes: plan.changes,
            revokedGrants: Self.revokedGrants(in: plan), offset: nil)
        guard !dryRun else { return result }
        // Conditional on the organization as read for the checks above (the plan's own head is later or equal).
        result.offset = try await appendBatch(
            events, plannedAt: state.offset, groups: [org, PluginScope.globalGroup]
        ).last?.offset
        return result
    }

    /// Refuses an offset inside the batch of one plugin operation (``EventStore/pluginOperationBatch(containing:)``):
    /// the state there is half an operation, such as an install without its `instance_of`.
    private func checkBatchBoundary(_ offset: UInt64) throws(PlatformError) {
        let found: PluginOperationBatch?
        do {
            found = try store.pluginOperationBatch(containing: offset)
        } catch {
            throw .store(error)
        }
        if let batch = found { throw .invalidArgument(batch.refusal(asTarget: offset)) }
    }

    /// The release each install `plan` restores returns to, by the install's id (the restore's thing id), read in one
    /// pass over the registry's view.
    /// - Throws: ``PlatformError/noRollbackTarget(_:)`` naming every restored version its registry no longer has (a
    ///   sync dropped it once no organization had it installed).
    private func restoredReleases(of plan: RollbackPlan) throws(PlatformError) -> [String: PluginRelease] {
        let (releases, missing) = try view { view in
            var releases: [String: PluginRelease] = [:]
            var missing: [String] = []
            for change in plan.changes where change.entity == "thing" && change.action == .restore {
                let properties = change.target?["properties"]
                guard change.id.hasPrefix(PlatformIDs.installPrefix), let name = properties?["plugin"]?.stringValue,
                    let versionText = properties?["version"]?.stringValue, let version = SemanticVersion(versionText),
                    let source = properties?["source"]?.stringValue
                else { continue }
                let id = PlatformIDs.plugin(name, in: PluginScope(storedGroup: source))
                if let release = try view.thing(id).flatMap(Plugin.init)?.release(version) {
                    releases[change.id] = release
                } else {
                    missing.append("\(name)@\(version)")
                }
            }
            return (releases, missing)
        }
        guard missing.isEmpty else {
            throw .noRollbackTarget(
                "the rollback would restore " + missing.joined(separator: ", ")
                    + ", which its registry no longer has (a sync dropped it once no organization had it installed)")
        }
        return releases
    }

    /// The offset just before the install last moved away from `version`.
    private func offset(
        before name: String, leftVersion version: SemanticVersion, install: PluginInstall
    ) throws(PlatformError) -> UInt64 {
        guard install.version != version else {
            throw .noRollbackTarget("'\(name)' is already at \(version)")
        }
        let history = try InstallHistoryEntry.read(install.thingId, store: store)
        var left: InstallHistoryEntry?
        for (previous, entry) in zip(history, history.dropFirst())
        where previous.pluginVersion == version.description && entry.pluginVersion != version.description {
            left = entry
        }
        guard let left else {
            throw .noRollbackTarget("'\(name)' in \(install.organization) was never at \(version)")
        }
        // The state the operation that moved it away started from (its whole batch, not just this event).
        return left.basis ?? left.offset - 1
    }

    /// The `requires` connections of the organization's installs as of `offset`.
    private func historicalRequires(_ org: String, at offset: UInt64) throws(PlatformError) -> [String: [Connection]] {
        do {
            let past = try store.state(at: offset, scope: .group(org)).view
            var requires: [String: [Connection]] = [:]
            for edge in try past.connections(
                ConnectionFilter(connectionType: PlatformIDs.requires, groupId: org, limit: .max))
            {
                requires[edge.fromId, default: []].append(edge)
            }
            return requires
        } catch {
            throw PlatformError(error)
        }
    }

    /// `id` and every install it requires, directly or not.
    private func requiresClosure(of id: String, _ requires: [String: [Connection]]) -> Set<String> {
        var seen: Set<String> = [id]
        var queue = [id]
        while let next = queue.popLast() {
            for edge in requires[next] ?? [] where seen.insert(edge.toId).inserted { queue.append(edge.toId) }
        }
        return seen
    }

    /// Refuses a rollback that leaves an install outside it requiring a covered install that is removed, or at a
    /// version outside the range it requires.
    /// Refuses a rollback after which an install's requirement would not hold: an install outside it requiring one
    /// it removes or moves out of range, or one it restores requiring, as it did then, an install outside it that has
    /// moved out of that range since (or is gone).
    /// So does one that removes, or moves out of its range, another covered install the organization asked for
    /// (an explicit install made since the target, such as a dependency the update removed and installed again).
    /// A range holds a version as the resolver reads it (npm's prerelease rule: a prerelease only when a comparator
    /// names a prerelease of the same release), so a rollback never leaves a requirement the next resolution fails on.
    private func checkNothingElseBreaks(
        _ plan: RollbackPlan, covering ids: Set<String>, rolledBack: PluginInstall, _ state: OrganizationState,
        requiresThen: [String: [Connection]]
    ) throws(PlatformError) {
        var removed: Set<String> = []
        var restored: [String: SemanticVersion] = [:]
        for change in plan.changes where change.entity == "thing" && ids.contains(change.id) {
            if change.action == .delete {
                removed.insert(change.id)
            } else if let version = change.target?["properties"]?["version"]?.stringValue {
                restored[change.id] = SemanticVersion(version)
            }
        }
        var problems: [String] = []
        // What the organization asked for, other than the plugin rolled back (whose request the rollback returns to
        // what it was): a covered install it requested is a requirement like another install's.
        for install in state.installs.values.sorted(by: { $0.name < $1.name })
        where install.thingId != rolledBack.thingId && ids.contains(install.thingId) {
            guard let range = install.requested else { continue }
            let asked = "\(state.organization) asked for \(install.name) \(range)"
            if removed.contains(install.thingId) {
                problems.append("\(asked), which the rollback would remove")
            } else if let version = restored[install.thingId], !range.contains(version) {
                problems.append("\(asked), but the rollback returns it to \(version)")
            }
        }
        // A requirement of an install outside the rollback, deleted or changed because it names a covered install.
        let installPrefix = PlatformIDs.install("", organization: state.organization)
        for change in plan.changes where change.entity == "connection" {
            let edge = change.current ?? change.target
            guard let from = edge?["fromId"]?.stringValue, from.hasPrefix(installPrefix), !ids.contains(from) else {
                continue
            }
            let dependent =
                state.installs.values.first { $0.thingId == from }.map { "\($0.name)@\($0.version)" } ?? from
            let what = edge?["properties"]?["dependency"]?.stringValue ?? edge?["toId"]?.stringValue ?? change.id
            problems.append(
                "\(dependent)'s \(edge?["connectionType"]?.stringValue ?? "connection") \(what) would be "
                    + (change.action == .delete ? "removed" : "changed") + " by the rollback")
        }
        for (from, edges) in state.requires where !ids.contains(from) {
            for edge in edges {
                guard removed.contains(edge.toId) || restored[edge.toId] != nil else { continue }
                let range = edge.properties["range"]?.stringValue.flatMap { try? VersionRange(parsing: $0) }
                let dependent =
                    state.installs.values.first { $0.thingId == from }.map { "\($0.name)@\($0.version)" } ?? from
                let dependency = edge.properties["dependency"]?.stringValue ?? edge.toId
                if removed.contains(edge.toId) {
                    problems.append("\(dependent) requires \(dependency), which the rollback would remove")
                } else if let version = restored[edge.toId], let range,
                    !range.contains(version)
                {
                    problems.append(
                        "\(dependent) requires \(dependency) \(range), but the rollback returns it to \(version)")
                }
            }
        }
        let installsById = Dictionary(
            state.installs.values.map { ($0.thingId, $0) }, uniquingKeysWith: { first, _ in first })
        for (from, edges) in requiresThen where ids.contains(from) && !removed.contains(from) {
            let dependent = restored[from].map { "\(installsById[from]?.name ?? from)@\($0)" } ?? from
            for edge in edges where !ids.contains(edge.toId) {
                let dependency = edge.properties["dependency"]?.stringValue ?? edge.toId
                guard let installed = installsById[edge.toId] else {
                    problems.append("\(dependent) requires \(dependency), which is no longer installed")
                    continue
                }
                if let range = edge.properties["range"]?.stringValue.flatMap({ try? VersionRange(parsing: $0) }),
                    !range.contains(installed.version)
                {
                    problems.append(
                        "\(dependent) requires \(dependency) \(range), but it is at \(installed.version) now")
                }
            }
        }
        guard problems.isEmpty else {
            throw .resolutionFailed(
                explanation: "the rollback would break other installs:\n  " + problems.joined(separator: "\n  ")
                    + "\nRoll those back or update them first, or choose another target.")
        }
    }
}
