import AnnalsSandbox

/// The permissions a plugin version may ask for: the sandbox's capabilities (``Capability``), in their string
/// form.
///
/// There are four kinds, on purpose (too many kinds confused users): `events.read`, `events.append`, `kv`
/// (plugin-private state, kept as events) and `secrets.read:NAME` (one named secret).
public enum PluginPermission {
    /// Why `permission` is not valid, or `nil` when it is.
    public static func problem(_ permission: String) -> String? {
        do {
            _ = try Capability(parsing: permission)
            return nil
        } catch {
            return error.description
        }
    }
}
