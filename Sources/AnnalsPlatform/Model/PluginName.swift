/// Checks plugin names: npm package names such as `@elizaos/plugin-sql` or `price-feed`.
public enum PluginName {
    /// The longest plugin name, in UTF-8 bytes (entity ids hold it and must stay under 160 bytes).
    public static let maximumLength = 100

    /// Why `name` is not a valid plugin name, or `nil` when it is.
    ///
    /// A name is 1–100 bytes of letters, digits, `-`, `_`, `.`, `~`, with an optional `@scope/` prefix; it does
    /// not start with `.` or `_`. Upper case is accepted (the ElizaOS registry has such names).
    public static func problem(_ name: String) -> String? {
        guard !name.isEmpty else { return "the name is empty" }
        guard name.utf8.count <= maximumLength else { return "the name is longer than \(maximumLength) bytes" }
        var parts = name.split(separator: "/", omittingEmptySubsequences: false)
        if name.hasPrefix("@") {
            guard parts.count == 2, parts[0].count > 1 else { return "a scoped name must look like @scope/name" }
            parts[0] = parts[0].dropFirst()
        } else if parts.count != 1 {
            return "the name contains '/' without an @scope"
        }
        for part in parts {
            guard let first = part.first, first != ".", first != "_" else {
                return "a name part must not be empty or start with '.' or '_'"
            }
            if let bad = part.unicodeScalars.first(where: { !isNameScalar($0) }) {
                return "the name contains '\(bad)'"
            }
        }
        return nil
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "~": true
        default: false
        }
    }
}
