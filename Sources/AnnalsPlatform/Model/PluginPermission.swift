/// The permissions a plugin version may ask for: the sandbox's capabilities, in their string form.
///
/// There are four kinds, on purpose (too many kinds confused users): `events.read`, `events.append`, `kv`
/// (plugin-private state, kept as events) and `secrets.read:NAME` (one named secret).
public enum PluginPermission {
    /// The kinds without a parameter.
    public static let plain: Set<String> = ["events.read", "events.append", "kv"]
    /// The prefix of a secret permission.
    public static let secretPrefix = "secrets.read:"

    /// Why `permission` is not valid, or `nil` when it is.
    public static func problem(_ permission: String) -> String? {
        if plain.contains(permission) { return nil }
        if permission.hasPrefix(secretPrefix) {
            let name = permission.dropFirst(secretPrefix.count)
            guard !name.isEmpty, name.count <= 64,
                name.unicodeScalars.allSatisfy({
                    ("A"..."Z").contains($0) || ("a"..."z").contains($0)
                        || ("0"..."9").contains($0) || $0 == "_"
                })
            else { return "a secret name is 1–64 letters, digits or '_': '\(permission)'" }
            return nil
        }
        return "unknown permission '\(permission)' (known: events.read, events.append, kv, secrets.read:NAME)"
    }
}
