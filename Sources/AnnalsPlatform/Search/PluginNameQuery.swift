import Annals
import Foundation

/// A search text read as a plugin's name: someone who types `@elizaos/plugin-coingecko`, `plugin-coingecko` or
/// `coingecko` looks for that plugin, whatever the words of other plugins' descriptions say.
struct PluginNameQuery {
    /// The text trimmed and lowercased, as npm names are written.
    let name: String
    /// The text trimmed, in the case it was typed.
    let typed: String

    /// The text read as a name; `nil` when it cannot be one (empty, or holding spaces).
    init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard !trimmed.isEmpty, !trimmed.contains(where: \.isWhitespace) else { return nil }
        name = trimmed
        typed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// How strongly the text names `pluginName`: 4 for the whole name, 2 for the name without its npm scope
    /// (`@scope/`) or without that and a `plugin-` prefix, one more when the case matches too, 0 for none. Results
    /// that name the plugin come first, the whole name before the shorter forms, and of two names that differ only in
    /// case (a look-alike beside the genuine one, from another registry) the one typed exactly first.
    func strength(for pluginName: String) -> Int {
        let lowercased = pluginName.lowercased()
        if lowercased == name { return pluginName == typed ? 5 : 4 }
        guard Self.forms(of: lowercased).contains(name) else { return 0 }
        return Self.forms(of: pluginName).contains(typed) ? 3 : 2
    }

    /// The plugins the text names (``strength(for:)`` above 0) that `visibility` shows, not withdrawn and of
    /// `category` when one is given, by name. Read from the plugins' ids (`plugin:GROUP:NAME`), not the plugins, but
    /// for those named.
    func namedPlugins(
        _ visibility: PluginVisibility, _ category: String?, _ view: OntologyView
    ) throws -> [String: Plugin] {
        var plugins: [String: Plugin] = [:]
        for group in visibility.groups.sorted() {
            let prefix = "plugin:\(group):"
            for id in try view.thingIDs(startingWith: prefix) {
                let name = String(id.dropFirst(prefix.count))
                guard strength(for: name) > 0, let plugin = try visibility.plugin(named: name, view),
                    !plugin.withdrawn, category == nil || plugin.category == category
                else { continue }
                plugins[plugin.name] = plugin
            }
        }
        return plugins
    }

    /// The forms of a lowercased name a search text may use.
    private static func forms(of name: String) -> [String] {
        let unscoped = name.hasPrefix("@") ? String(name.drop { $0 != "/" }.dropFirst()) : name
        var forms = [name, unscoped]
        if unscoped.hasPrefix("plugin-") { forms.append(String(unscoped.dropFirst("plugin-".count))) }
        return forms.filter { !$0.isEmpty }
    }
}
