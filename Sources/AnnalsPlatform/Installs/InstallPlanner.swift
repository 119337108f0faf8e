import Annals
import AnnalsResolver

/// Turns a change of an organization's requirements into a resolved ``InstallPlan`` and its events.
///
/// The whole organization is resolved at once: the ranges of every explicit install are requirements, pinned
/// installs are locked, installed versions are preferred (kept when they fit) except for the plugins being
/// updated. The resolution is then compared with what is installed: new plugins are installed in topological
/// order, changed ones updated (with `expectedVersion`, so a concurrent change fails the batch), plugins nothing
/// needs any more are removed, and the `requires` connections are made to match the chosen versions.
struct InstallPlanner {
    let state: OrganizationState
    /// The explicit requirements after the change, by name.
    var requested: [String: VersionRange]
    /// Plugins whose installed version should not be preferred (the one being updated, or installed again).
    var unlocked: Set<String> = []
    /// Requirements that steer this resolution only and are not recorded as the organization's request (the
    /// target of an update of a plugin installed as a dependency).
    var transient: Set<String> = []
    /// Permissions granted by this operation, on top of those already granted.
    var grants: Set<String> = []
    /// Whether changing the version of an installed plugin needs its new permissions granted explicitly; a first
    /// install grants what the plugin asks for, unless ``newInstallsNeedGrants``.
    var upgradesNeedGrants = true
    /// Whether a plugin this operation installs anew (a dependency an update, or an install of an installed plugin,
    /// pulls in) needs its permissions granted explicitly: an update must not grant, through a new dependency, what
    /// it would have to ask for itself.
    var newInstallsNeedGrants = false
    /// Whether the install named to ``plan(actorId:recordUpdateOf:)`` records the update only when its own version
    /// changes (an install of an installed plugin), not for any change (an update).
    var updateNeedsNewVersion = false
    /// The operation's name, recorded in the events' metadata.
    var operation: String
    /// What was asked for, for messages and the plan.
    var request: String

    init(state: OrganizationState, operation: String, request: String) {
        self.state = state
        self.operation = operation
        self.request = request
        requested = state.installs.values.reduce(into: [:]) { result, install in
            if let range = install.requested { result[install.name] = range }
        }
    }

    /// Resolves and plans; `updated` names the install that records the update (see ``PluginInstall/lastUpdate``).
    func plan(actorId: String, recordUpdateOf updated: String? = nil) throws(PlatformError) -> InstallPlan {
        let resolution = try resolve()
        let org = state.organization
        var builder = OntologyEventBuilder(actorId: actorId, groupId: org)
        builder.context = [
            "plugin": .object([
                "operation": .string(operation), "request": .string(request), "basis": .integer(state.offset),
            ])
        ]
        var steps: [InstallPlan.Step] = []
        var creations: [NewEvent] = []
        var updates: [NewEvent] = []
        var changed: [String] = []
        var newInstalls: [String: PluginInstall] = [:]
        var missingGrants: [(String, SemanticVersion, [String])] = []

        for package in resolution.installOrder {
            let plugin = state.plugins[package.name]!
            let release = plugin.release(package.version)!
            let existing = state.installs[package.name]
            let reasons = (resolution.reasons[package.name] ?? []).map(\.description)
            let explicitRange = transient.contains(package.name) ? existing?.requested : requested[package.name]
            let id = PlatformIDs.install(package.name, organization: org)
            let alreadyGranted = Set(existing?.grants ?? [])
            let sameVersion = existing?.version == package.version
            // An install that keeps its version is granted nothing it was not granted before, except with `grants`:
            // its release may ask for more than it holds (a rollback never grants what was not granted then or since).
            let newGrants = release.permissions.filter {
                !alreadyGranted.contains($0) && (!sameVersion || grants.contains($0))
            }
            var install =
                existing
                ?? PluginInstall(
                    name: package.name, organization: org, version: package.version, source: plugin.scope,
                    requested: explicitRange, grants: [])
            install.version = package.version
            install.requested = explicitRange
            install.grants = alreadyGranted.union(newGrants).sorted()
            let action: InstallPlan.Step.Action
            if let existing {
                if sameVersion {
                    action = existing.requested == explicitRange && newGrants.isEmpty ? .keep : .reconfigure
                } else {
                    action = package.version > existing.version ? .upgrade : .downgrade
                    let ungranted = newGrants.filter { !grants.contains($0) }
                    if upgradesNeedGrants, !ungranted.isEmpty {
                        missingGrants.append((package.name, package.version, ungranted))
                    }
                }
            } else {
                action = .install
                let ungranted = newGrants.filter { !grants.contains($0) }
                if newInstallsNeedGrants, !ungranted.isEmpty {
                    missingGrants.append((package.name, package.version, ungranted))
                }
            }
            steps.append(
                InstallPlan.Step(
                    name: package.name, from: existing?.version, to: package.version, action: action, reasons: reasons,
                    newGrants: newGrants))
            newInstalls[package.name] = install
            switch action {
            case .install:
                creations.append(
                    builder.createThing(
                        id, type: PlatformIDs.installType, name: package.name, properties: install.properties,
                        expectedVersion: state.streamVersions[id] ?? 0))
                creations.append(
                    builder.createConnection(
                        PlatformIDs.instanceOf, from: id, to: plugin.thingId,
                        properties: ["version": .string(package.version.description)]))
                changed.append(id)
            case .upgrade, .downgrade, .reconfigure:
                if let event = builder.updateThing(
                    id, patch: MergePatchDiff.patch(from: existing!.properties, to: install.properties),
                    expectedVersion: state.streamVersions[id])
                {
                    updates.append(event)
                }
                if action != .reconfigure, let edge = state.instanceOf[id] {
                    updates.append(
                        builder.updateConnection(edge.id, patch: ["version": .string(package.version.description)]))
                }
                changed.append(id)
            case .keep, .remove:
                break
            }
        }
        try checkNoPinnedRemoval(resolution)
        try checkGrantsAsked(resolution)
        // The first plugin (in install order: dependencies first) with its own permissions; the next run names the
        // next one.
        if let (name, version, permissions) = missingGrants.first {
            throw .permissionsNotGranted(plugin: name, version: version.description, permissions: permissions.sorted())
        }

        // Installs nothing needs any more.
        var removals: [NewEvent] = []
        for install in state.installs.values.sorted(by: { $0.name < $1.name })
        where resolution.versions[install.name] == nil {
            steps.append(
                InstallPlan.Step(
                    name: install.name, from: install.version, to: nil, action: .remove,
                    reasons: ["no installed plugin requires it any more"], newGrants: []))
            let id = install.thingId
            removals.append(
                NewEvent(
                    type: OntologyEventType.thingDeleted, actorId: actorId, targetId: id, groupId: org,
                    metadata: .object(builder.context), expectedVersion: state.streamVersions[id]))
            changed.append(id)
        }

        // The update record, on the install the update was asked for.
        if let updated, let before = state.installs[updated], var after = newInstalls[updated], !changed.isEmpty,
            !updateNeedsNewVersion || after.version != before.version
        {
            after.lastUpdate = PluginInstall.UpdateRecord(
                fromOffset: state.offset, fromVersion: before.version, instances: changed.sorted())
            let id = after.thingId
            updates.removeAll { $0.type == OntologyEventType.thingUpdated && $0.targetId == id }
            if let event = builder.updateThing(
                id, patch: MergePatchDiff.patch(from: before.properties, to: after.properties),
                expectedVersion: state.streamVersions[id])
            {
                updates.append(event)
            }
        }

        let edges = edgeEvents(resolution, builder) + subscriptionEvents(resolution, builder)
        let events = creations + updates + edges + removals
        return InstallPlan(organization: org, request: request, steps: steps, events: events, offset: nil)
    }

    /// Refuses a resolution that leaves out a pinned install (nothing requires it any more): a pinned install is
    /// locked, so an install or update that would remove it is refused like an update of it, naming it, until it is
    /// unpinned.
    private func checkNoPinnedRemoval(_ resolution: Resolution) throws(PlatformError) {
        let removed = state.installs.values.filter { $0.pinned && resolution.versions[$0.name] == nil }
        if let pinned = removed.min(by: { $0.name < $1.name }) {
            throw .pinnedWouldChange(plugin: pinned.name, version: pinned.version.description, removed: true)
        }
    }

    /// Refuses a granted permission that no release of the resolution asks for: it would grant nothing (an install
    /// holds only what its release asks for), so it is a mistake, most often a misspelt permission.
    private func checkGrantsAsked(_ resolution: Resolution) throws(PlatformError) {
        var askedBy: [String: [String]] = [:]
        for package in resolution.installOrder {
            for permission in state.plugins[package.name]!.release(package.version)!.permissions {
                askedBy[permission, default: []].append("\(package.name)@\(package.version)")
            }
        }
        guard let unasked = grants.sorted().first(where: { askedBy[$0] == nil }) else { return }
        let asked =
            askedBy.isEmpty
            ? "they ask for no permissions"
            : "they ask for: "
                + askedBy.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value.joined(separator: ", ")))" }
                .joined(separator: ", ")
        throw .invalidArgument(
            "--grant \(unasked): no plugin this \(operation) leaves installed in \(state.organization) asks for it; "
                + asked)
    }

    /// The resolver's work budget for an organization that can resolve `catalogSize` plugins: 10,000 steps, or 4 per
    /// plugin when that is more, so that a valid resolution of a large catalog (which takes at least one decision per
    /// plugin it installs) is never stopped for its size alone, while a pathological one still stops.
    static func workBudget(catalogSize: Int) -> Int {
        let perPlugin = catalogSize.multipliedReportingOverflow(by: 4)
        return max(
            DependencyResolver<PluginCatalogProvider>.defaultWorkBudget,
            perPlugin.overflow ? .max : perPlugin.partialValue)
    }

    /// The resolution of the organization's requirements.
    func resolve() throws(PlatformError) -> Resolution {
        var locked: [String: SemanticVersion] = [:]
        var preferred: [String: SemanticVersion] = [:]
        for install in state.installs.values {
            if install.pinned { locked[install.name] = install.version }
            if !unlocked.contains(install.name) { preferred[install.name] = install.version }
        }
        var unavailable: [String: String] = [:]
        for name in state.hidden {
            unavailable[name] = "in the global registry but hidden by \(state.organization)'s allowlist"
        }
        for name in state.withdrawn { unavailable[name] = "withdrawn from its registry" }
        let resolver = DependencyResolver(
            provider: PluginCatalogProvider(plugins: state.plugins, unavailable: unavailable),
            workBudget: Self.workBudget(catalogSize: state.plugins.count))
        do {
            return try resolver.resolve(
                ResolutionRequest(requirements: requested, locked: locked, preferred: preferred))
        } catch {
            throw .resolutionFailed(
                explanation: "cannot \(request) in \(state.organization):\n" + error.explanation
                    + unseenHint(Self.namedText(of: error)))
        }
    }

    /// The text in which the hints look for the plugins a failure names: its explanation, and the facts its
    /// derivation rests on, since a long explanation is shown with its middle lines left out.
    static func namedText(of error: ResolutionError) -> String {
        guard let report = error.report else { return error.explanation }
        return ([error.explanation] + report.facts.map(\.description)).joined(separator: "\n")
    }

    /// Why a package the failure names (in `explanation`, ``namedText(of:)``) is not there, or not at the version
    /// asked for: the organization's allowlist hides it, its registry withdrew it, or yanked the versions.
    private func unseenHint(_ explanation: String) -> String {
        var lines: [String] = []
        for name in state.hidden.sorted() where Self.mentions(explanation, name) {
            lines.append(
                "\(name) exists in the global registry but \(state.organization)'s allowlist hides it: add it with "
                    + "'annals plugin allow --group \(state.organization)' (the list replaces the current one)")
        }
        for (name, versions) in state.shadowed.sorted(by: { $0.key < $1.key }) where Self.mentions(explanation, name) {
            let installed = state.installs[name].map { " \($0.version)" } ?? ""
            let listed = versions.isEmpty ? "no version" : "only " + versions.map(\.description).joined(separator: ", ")
            lines.append(
                "\(name)\(installed) is installed from the global registry, but \(state.organization)'s private registry "
                    + "shadows that name and lists \(listed): the organization keeps the global plugin it installed "
                    + "(an install cannot be moved to the private plugin)")
        }
        for name in state.withdrawn.sorted() where Self.mentions(explanation, name) {
            lines.append("\(name) was withdrawn from its registry: it can no longer be installed")
        }
        for (name, versions) in state.yanked.sorted(by: { $0.key < $1.key }) where Self.mentions(explanation, name) {
            lines.append(
                "\(name) " + versions.map(\.description).joined(separator: ", ")
                    + " \(versions.count == 1 ? "is" : "are") yanked (no longer listed by its registry): installs of "
                    + "\(versions.count == 1 ? "it" : "them") keep working, new installs cannot choose "
                    + (versions.count == 1 ? "it" : "them"))
        }
        return lines.isEmpty ? "" : "\n" + lines.joined(separator: "\n")
    }

    /// Whether `text` names `name` as a whole plugin name (not as part of a longer one).
    static func mentions(_ text: String, _ name: String) -> Bool {
        let isNameByte = { (byte: UInt8) in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte >= 0x80
                || "-_.~@/".utf8.contains(byte)
        }
        let bytes = Array(text.utf8)
        let wanted = Array(name.utf8)
        guard !wanted.isEmpty, bytes.count >= wanted.count else { return false }
        for start in 0...(bytes.count - wanted.count) where bytes[start..<start + wanted.count].elementsEqual(wanted) {
            let end = start + wanted.count
            // A trailing '.' ends a sentence, not the name.
            let before = start == 0 || !isNameByte(bytes[start - 1])
            let after = end == bytes.count || !isNameByte(bytes[end]) || bytes[end] == UInt8(ascii: ".")
            if before && after { return true }
        }
        return false
    }

    /// Creates and deletes `subscribes_to` connections (and the event-type things they point at) so that each chosen
    /// install subscribes to exactly the event types its release declares.
    private func subscriptionEvents(_ resolution: Resolution, _ builder: OntologyEventBuilder) -> [NewEvent] {
        let org = state.organization
        var events: [NewEvent] = []
        var created = state.eventTypes
        for package in resolution.installOrder {
            let id = PlatformIDs.install(package.name, organization: org)
            let release = state.plugins[package.name]!.release(package.version)!
            var existing: [String: Connection] = [:]
            for edge in state.subscriptions[id] ?? [] { existing[edge.toId] = edge }
            for pattern in release.subscribes {
                let target = PlatformIDs.eventType(pattern, organization: org)
                if existing.removeValue(forKey: target) != nil { continue }
                if created.insert(target).inserted {
                    events.append(
                        builder.createThing(
                            target, type: PlatformIDs.eventTypeType, name: pattern,
                            properties: ["pattern": .string(pattern)]))
                }
                events.append(
                    builder.createConnection(
                        PlatformIDs.subscribesTo, from: id, to: target, properties: ["pattern": .string(pattern)]))
            }
            for edge in existing.values.sorted(by: { $0.id < $1.id }) {
                events.append(builder.deleteConnection(edge.id))
            }
        }
        return events
    }

    /// Creates, updates and deletes `requires` connections so that each chosen install requires exactly the
    /// chosen installs its release depends on (connections of removed installs go with them).
    private func edgeEvents(_ resolution: Resolution, _ builder: OntologyEventBuilder) -> [NewEvent] {
        let org = state.organization
        var events: [NewEvent] = []
        for package in resolution.installOrder {
            let id = PlatformIDs.install(package.name, organization: org)
            let release = state.plugins[package.name]!.release(package.version)!
            var existing: [String: Connection] = [:]
            for edge in state.requires[id] ?? [] { existing[edge.toId] = edge }
            for (dependency, range) in release.dependencies.sorted(by: { $0.key < $1.key }) {
                let target = PlatformIDs.install(dependency, organization: org)
                let properties: JSONValue = ["range": .string(range.description), "dependency": .string(dependency)]
                if let edge = existing.removeValue(forKey: target) {
                    if let patch = MergePatchDiff.patch(from: edge.properties, to: properties) {
                        events.append(builder.updateConnection(edge.id, patch: patch))
                    }
                } else {
                    events.append(
                        builder.createConnection(PlatformIDs.requires, from: id, to: target, properties: properties))
                }
            }
            for edge in existing.values.sorted(by: { $0.id < $1.id }) {
                let targetName = state.installs.values.first { $0.thingId == edge.toId }?.name
                if let targetName, resolution.versions[targetName] == nil { continue }  // deleted with its thing
                events.append(builder.deleteConnection(edge.id))
            }
        }
        return events
    }
}
