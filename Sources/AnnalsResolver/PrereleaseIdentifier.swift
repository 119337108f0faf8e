/// One dot-separated identifier of a version's prerelease tag: `alpha`, `1` or `x-7` in `1.0.0-alpha.1.x-7`.
///
/// Identifiers made of digits only are numeric and compare numerically; all others compare as ASCII text, and a
/// numeric identifier always has lower precedence than an alphanumeric one (SemVer 2.0.0, item 11).
public enum PrereleaseIdentifier: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// An identifier of digits only, without leading zeros: `1` in `1.0.0-rc.1`.
    case numeric(UInt64)
    /// An identifier with at least one letter or hyphen: `rc` in `1.0.0-rc.1`.
    case alphanumeric(String)

    /// The identifier as written in a version.
    public var description: String {
        switch self {
        case .numeric(let value): String(value)
        case .alphanumeric(let text): text
        }
    }

    /// Whether `lhs` has lower precedence than `rhs`: numbers numerically, text in ASCII order, numbers first.
    /// - Parameters:
    ///   - lhs: One identifier.
    ///   - rhs: The identifier compared with.
    /// - Returns: `true` when `lhs` sorts before `rhs`.
    public static func < (lhs: PrereleaseIdentifier, rhs: PrereleaseIdentifier) -> Bool {
        switch (lhs, rhs) {
        case (.numeric(let left), .numeric(let right)): left < right
        case (.numeric, .alphanumeric): true
        case (.alphanumeric, .numeric): false
        case (.alphanumeric(let left), .alphanumeric(let right)): Array(left.utf8).lexicographicallyPrecedes(right.utf8)
        }
    }
}
