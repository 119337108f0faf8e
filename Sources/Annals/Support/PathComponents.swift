/// The parts of a file path as text, split at `/`: what `NSString.deletingLastPathComponent` and
/// `lastPathComponent` give, without them (on Linux they trap on a one-character relative path such as `K`).
public enum PathComponents {
    /// The directory holding `path`: what comes before its last `/` (trailing ones ignored), `/` for a top-level
    /// absolute path, and an empty string for a relative path of one component.
    public static func parent(of path: String) -> String {
        let trimmed = withoutTrailingSlashes(Substring(path))
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        let parent = withoutTrailingSlashes(trimmed[..<slash])
        return parent.isEmpty ? "/" : String(parent)
    }

    /// The last component of `path` (trailing `/` ignored): `c` for `a/b/c/`, `/` for `/`.
    public static func last(of path: String) -> String {
        let trimmed = withoutTrailingSlashes(Substring(path))
        guard let slash = trimmed.lastIndex(of: "/"), trimmed.count > 1 else { return String(trimmed) }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    private static func withoutTrailingSlashes(_ path: Substring) -> Substring {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return path
    }
}
