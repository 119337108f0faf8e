import Annals

extension PluginPlatform {
    /// The plugin `name` as `organization` sees it: its private one, else the global one if its allowlist
    /// allows it; only the global registry when `organization` is `nil`.
    /// - Returns: The plugin, or `nil` when no visible registry lists it.
    public func plugin(_ name: String, organization: String? = nil) throws(PlatformError) -> Plugin? {
        let scope = try PluginScope(organization: organization)
        return try view { view in try PluginVisibility(scope, view).plugin(named: name, view) }
    }

    /// Every plugin `organization` sees (withdrawn ones excluded), by name.
    public func plugins(organization: String? = nil) throws(PlatformError) -> [Plugin] {
        let scope = try PluginScope(organization: organization)
        return try view { view in
            let visibility = try PluginVisibility(scope, view)
            var byName: [String: Plugin] = [:]
            for group in visibility.groups.sorted() {
                for thing in try view.things(
                    ThingFilter(thingType: PlatformIDs.pluginType, groupId: group, limit: .max))
                {
                    guard let plugin = Plugin(thing), !plugin.withdrawn, visibility.shows(plugin) else { continue }
                    byName[plugin.name] = plugin
                }
            }
            return byName.keys.sorted().map { byName[$0]! }
        }
    }

    /// The organization's allowlist: the global plugins it may see and install (name patterns with `*`), or
    /// `[]` when it sees every global plugin.
    public func allowlist(organization: String) throws(PlatformError) -> [String] {
        let name = try PluginScope.checkedOrganization(organization)
        return try view { try PluginVisibility(.organization(name), $0).allowlist }
    }

    /// Replaces the organization's allowlist (`[]` removes it: every global plugin becomes visible). Plugins
    /// already installed stay installed; the allowlist governs what can be found and installed from now on.
    /// - Returns: The offset of the change, or `nil` when the list was already this.
    public func setAllowlist(
        _ patterns: [String], organization: String, actorId: String
    ) async throws(PlatformError) -> UInt64? {
        let name = try PluginScope.checkedOrganization(organization)
        for pattern in patterns where pattern.isEmpty || pattern.count > 100 {
            throw .invalidArgument("an allowlist pattern must be 1–100 characters")
        }
        let id = PlatformIDs.organization(name)
        let (existing, plannedAt) = try view { (try $0.thing(id), $0.offset) }
        let builder = OntologyEventBuilder(actorId: actorId, groupId: name, context: ["plugin": ["operation": "allow"]])
        let list: JSONValue = .object(["allowlist": .array(patterns.map(JSONValue.string))])
        let event: NewEvent?
        if let existing {
            // Only the allowlist member: the organization thing may hold other settings.
            let current: JSONValue = ["allowlist": existing.properties["allowlist"] ?? .null]
            event = builder.updateThing(id, patch: MergePatchDiff.patch(from: current, to: list))
        } else {
            event = builder.createThing(id, type: PlatformIDs.organizationType, name: name, properties: list)
        }
        guard let event else { return nil }
        return try await appendBatch([event], plannedAt: plannedAt, groups: [name]).last?.offset
    }
}
