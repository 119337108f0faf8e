import Annals

/// Which plugins one scope sees: the global registry (narrowed by an organization's allowlist) and the
/// organization's own registries, whose entries win over global ones of the same name.
struct PluginVisibility {
    /// The scope looking.
    let scope: PluginScope
    /// The allowlist of the organization (name patterns; `*` matches any run of characters), empty for none.
    let allowlist: [String]
    /// The names of the organization's own plugins, which shadow global plugins of the same name.
    let privateNames: Set<String>

    /// The groups whose entities the scope may see.
    var groups: Set<String> { Set([PluginScope.globalGroup, scope.groupId]) }

    /// Reads the organization's allowlist and private plugin names.
    init(_ scope: PluginScope, _ view: OntologyView) throws {
        self.scope = scope
        guard case .organization(let name) = scope else {
            allowlist = []
            privateNames = []
            return
        }
        let settings = try view.thing(PlatformIDs.organization(name))
        allowlist = (settings?.properties["allowlist"]?.arrayValue ?? []).compactMap(\.stringValue)
        privateNames = Set(
            try view.things(ThingFilter(thingType: PlatformIDs.pluginType, groupId: name, limit: .max)).compactMap(
                \.name))
    }

    /// Whether the scope sees `plugin`.
    func shows(_ plugin: Plugin) -> Bool {
        switch plugin.scope {
        case .organization(let owner): return scope == .organization(owner)
        case .global:
            guard scope == .global || !privateNames.contains(plugin.name) else { return false }
            return allowlist.isEmpty || allowlist.contains { Self.matches(plugin.name, pattern: $0) }
        }
    }

    /// The plugin `name` as the scope sees it: its own, else the global one (if allowed); `nil` if invisible.
    func plugin(named name: String, _ view: OntologyView) throws -> Plugin? {
        if case .organization = scope, let thing = try view.thing(PlatformIDs.plugin(name, in: scope)),
            let plugin = Plugin(thing)
        {
            return plugin
        }
        guard let thing = try view.thing(PlatformIDs.plugin(name, in: .global)), let plugin = Plugin(thing),
            shows(plugin)
        else { return nil }
        return plugin
    }

    /// Whether `name` matches an allowlist pattern, where `*` matches any run of characters.
    static func matches(_ name: String, pattern: String) -> Bool {
        let pieces = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard pieces.count > 1 else { return name == pattern }
        var rest = Substring(name)
        guard rest.hasPrefix(pieces[0]) else { return false }
        rest = rest.dropFirst(pieces[0].count)
        for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
            guard let range = rest.range(of: piece) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(pieces.last!) && rest.count >= pieces.last!.count
    }
}
