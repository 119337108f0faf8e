/// One primitive comparison a range is reduced to, such as `>=1.2.3` or `<2.0.0-0`.
struct VersionComparator: Sendable, Hashable {
    /// The comparison.
    enum Operator: String, Sendable, Hashable {
        /// `<`
        case less = "<"
        /// `<=`
        case lessOrEqual = "<="
        /// `>`
        case greater = ">"
        /// `>=`
        case greaterOrEqual = ">="
        /// `=`
        case equal = "="
    }

    /// The comparison.
    let operation: Operator
    /// The version compared with.
    let version: SemanticVersion

    /// A comparator no version satisfies: `<0.0.0-0` (`0.0.0-0` is the lowest version there is).
    static let nothing = VersionComparator(
        operation: .less, version: SemanticVersion(0, 0, 0, prerelease: [.numeric(0)]))

    /// Whether `candidate` satisfies the comparison (by precedence; the prerelease rule is the range's business).
    func matches(_ candidate: SemanticVersion) -> Bool {
        switch operation {
        case .less: candidate < version
        case .lessOrEqual: candidate <= version
        case .greater: candidate > version
        case .greaterOrEqual: candidate >= version
        case .equal: candidate == version
        }
    }
}

/// A version as written in a range, where trailing numbers may be missing or wildcards: `1`, `1.x`, `1.2.*`,
/// `1.2.3-beta`.
struct PartialVersion: Sendable, Hashable {
    /// The major version, `nil` for `*`, `x`, `X` or nothing.
    let major: UInt64?
    /// The minor version, `nil` when missing or a wildcard (or after a wildcard).
    let minor: UInt64?
    /// The patch version, `nil` when missing or a wildcard (or after a wildcard).
    let patch: UInt64?
    /// The prerelease identifiers, only with all three numbers.
    let prerelease: [PrereleaseIdentifier]

    /// The full version, or `nil` when a number is missing.
    var full: SemanticVersion? {
        guard let major, let minor, let patch else { return nil }
        return SemanticVersion(major, minor, patch, prerelease: prerelease)
    }
}
