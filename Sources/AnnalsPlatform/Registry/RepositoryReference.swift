/// What an ElizaOS `index.json` entry may give as its plugin's repository: npm's forms of a `repository` field.
///
/// The index is recognised only as "an object of strings", so its values are what tells a registry from an error
/// page that is one (`{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/…"}`): a value
/// that is no repository reference skips its entry, and a source whose every entry is skipped is refused. Accepted:
///
/// - `github:OWNER/REPO`, `bitbucket:OWNER/REPO`, `gitlab:GROUP/…/REPO` (npm's shorthands);
/// - `OWNER/REPO` (npm's shorthand for GitHub);
/// - a git URL: `git://`, `git+https://`, `git+http://`, `git+ssh://` or `ssh://`, of any host, or the scp-like
///   `USER@HOST:OWNER/REPO` (`git@github.com:acme/x.git`);
/// - an `http(s)` URL of a repository: on a host of repositories (``webHosts``) or with a path ending in `.git`.
///
/// The path has at least two segments (owner and repository) of letters, digits, `.`, `_` or `-`, neither `.` nor
/// `..`, and no query; a fragment (`#COMMIT` or npm's `#REF:SUBDIRECTORY`) may follow. Nothing may contain a space.
enum RepositoryReference {
    /// npm's shorthand prefixes; only `gitlab:` takes a path of more than two segments (subgroups).
    private static let shorthands = ["github", "gitlab", "bitbucket"]
    /// The URL schemes that name a git repository on any host.
    private static let gitSchemes: Set<String> = ["git", "git+https", "git+http", "git+ssh", "ssh"]
    /// The hosts whose `http(s)` URLs `https://HOST/OWNER/REPO` name a repository (`www.` ignored).
    static let webHosts: Set<String> = ["github.com", "gitlab.com", "bitbucket.org", "codeberg.org"]

    /// The forms accepted, for messages.
    static let forms =
        "github:OWNER/REPO, OWNER/REPO, a git URL (git+https://…, ssh://…, git@HOST:OWNER/REPO) or an http(s) URL "
        + "of a repository on \(webHosts.sorted().joined(separator: ", ")) or ending in .git"

    /// Whether `text` is a repository reference in one of the forms above.
    static func isValid(_ text: String) -> Bool {
        guard !text.isEmpty, !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
        else { return false }
        let parts = text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 1 || !parts[1].isEmpty else { return false }
        let reference = parts[0]
        if let colon = reference.firstIndex(of: ":"), shorthands.contains(String(reference[..<colon])) {
            let path = reference[reference.index(after: colon)...]
            return isPath(path, exactlyTwo: reference[..<colon] != "gitlab")
        }
        if let separator = reference.range(of: "://") {
            return isURL(scheme: reference[..<separator.lowerBound].lowercased(), reference[separator.upperBound...])
        }
        if let at = reference.firstIndex(of: "@"), let colon = reference[at...].firstIndex(of: ":") {
            let user = reference[..<at]
            let host = reference[reference.index(after: at)..<colon]
            return isSegment(user) && isHost(host) && isPath(reference[reference.index(after: colon)...])
        }
        return isPath(reference, exactlyTwo: true)
    }

    /// Whether `rest`, what follows `scheme://`, names a repository: `[USER@]HOST[:PORT]/OWNER/REPO[/…]`.
    private static func isURL(scheme: String, _ rest: Substring) -> Bool {
        let isWeb = scheme == "https" || scheme == "http"
        guard isWeb || gitSchemes.contains(scheme), let slash = rest.firstIndex(of: "/") else { return false }
        var host = rest[..<slash]
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        if let colon = host.lastIndex(of: ":"), host[host.index(after: colon)...].allSatisfy(\.isASCIIDigit) {
            host = host[..<colon]  // a port
        }
        var path = rest[rest.index(after: slash)...]
        while path.hasSuffix("/") { path = path.dropLast() }
        guard isHost(host), isPath(path) else { return false }
        guard isWeb else { return true }
        let name = host.lowercased()
        return webHosts.contains(name.hasPrefix("www.") ? String(name.dropFirst(4)) : name) || path.hasSuffix(".git")
    }

    /// Whether `path` is `OWNER/REPO` (with `exactlyTwo`) or at least that many segments.
    private static func isPath(_ path: Substring, exactlyTwo: Bool = false) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return (exactlyTwo ? segments.count == 2 : segments.count >= 2)
            && segments.allSatisfy { isSegment($0) && $0 != "." && $0 != ".." }
    }

    /// Whether `segment` is 1 or more ASCII letters, digits, `.`, `_` or `-`.
    private static func isSegment(_ segment: Substring) -> Bool {
        !segment.isEmpty
            && segment.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
    }

    /// Whether `host` is a host name: ASCII letters, digits, `.` and `-`.
    private static func isHost(_ host: Substring) -> Bool {
        !host.isEmpty && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
    }
}

extension Character {
    /// Whether the character is one of the ASCII digits 0–9.
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
