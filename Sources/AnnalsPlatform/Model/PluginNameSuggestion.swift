/// The names a user probably meant when a plugin name matches none: the registry's package names are scoped
/// (`@elizaos/plugin-sql`), and people type the short form (`plugin-sql`, `sql`) or change its case.
public enum PluginNameSuggestion {
    /// At most this many names are suggested.
    public static let limit = 3

    /// The names among `candidates` that `name` probably meant, closest first: a different case of the whole
    /// name, then the unscoped part (after the last `/`) equal to `name` or to `plugin-` + `name`, ignoring case.
    public static func names(for name: String, among candidates: some Sequence<String>) -> [String] {
        let wanted = name.lowercased()
        var exact: [String] = []
        var unscoped: [String] = []
        for candidate in candidates where candidate != name {
            let lowered = candidate.lowercased()
            if lowered == wanted {
                exact.append(candidate)
                continue
            }
            let short = lowered.split(separator: "/").last.map(String.init) ?? lowered
            if short == wanted || short == "plugin-" + wanted { unscoped.append(candidate) }
        }
        return Array((exact.sorted() + unscoped.sorted()).prefix(limit))
    }

    /// `"; did you mean 'A' or 'B'?"` for the names `name` probably meant, or an empty string.
    public static func hint(for name: String, among candidates: some Sequence<String>) -> String {
        let names = names(for: name, among: candidates).map { "'\($0)'" }
        guard let last = names.last else { return "" }
        let listed = names.count == 1 ? last : names.dropLast().joined(separator: ", ") + " or " + last
        return "; did you mean \(listed)?"
    }
}
