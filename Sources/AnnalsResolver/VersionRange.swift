/// A set of versions written with npm's range syntax (node-semver), such as `^1.2.3`, `>=1.0.0 <2.0.0 || 3.x` or
/// `1.2.3 - 2.3.4`.
///
/// The syntax and meaning are node-semver's: comparators (`<`, `<=`, `>`, `>=`, `=`, bare versions) separated by
/// spaces intersect, `||` unions; X-ranges and partial versions (`*`, `x`, `1`, `1.x`, `1.2`), hyphen ranges, tilde
/// and caret ranges (with caret's 0.x rules: `^0.2.3` is `>=0.2.3 <0.3.0-0`, `^0.0.3` is `>=0.0.3 <0.0.4-0`) are
/// rewritten into comparators.
///
/// Prereleases follow npm's rule: a version with a prerelease tag is in the range only if it satisfies the
/// comparators of one `||` set *and* one comparator of that set names a prerelease of the same major, minor and
/// patch. So `^1.2.3-beta.2` contains `1.2.3-beta.4` but not `1.2.4-beta.2`, and `*` contains no prerelease.
/// ```swift
/// let range = try VersionRange(parsing: "^0.2.3")
/// range.contains(SemanticVersion(0, 2, 9))   // true
/// range.contains(SemanticVersion(0, 3, 0))   // false
/// range.description                          // "^0.2.3"
/// ```
/// Two ranges are equal when their normalised texts are; it is `Codable` as that text.
public struct VersionRange: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The range text, normalised: single spaces between comparators, ` || ` between sets, no space after operators,
    /// `*` for an empty text.
    public let description: String
    /// The `||` sets of comparators under npm's default rules; an empty set matches every release.
    let comparatorSets: [[VersionComparator]]
    /// The same sets rewritten as with node-semver's `includePrerelease`.
    let comparatorSetsIncludingPrerelease: [[VersionComparator]]

    /// Parses an npm range.
    ///
    /// Whitespace (what JavaScript's `\s` matches, as for npm) is tolerated around operators (`>= 1.2.3`) and between
    /// sets; an empty text means any version. The text has no length limit, but each version it compares with is at
    /// most 256 characters, as in npm (docs/PLUGINS.md, "Versions and ranges").
    /// - Parameter text: The range text, such as `^1.2.3 || >=2.1.0 <3`.
    /// - Throws: ``VersionRangeParseError`` naming the text, the offending token and its position;
    ///   ``VersionRangeParseError/Reason/distTag(_:)`` for a plain identifier such as `latest`, and
    ///   ``VersionRangeParseError/Reason/workspaceProtocol(_:)`` for `workspace:*` and the like.
    public init(parsing text: String) throws(VersionRangeParseError) {
        let parsed = try VersionRangeParser(text: text).parse()
        description = parsed.map { $0.isEmpty ? "*" : $0.map(\.text).joined(separator: " ") }.joined(separator: " || ")
        comparatorSets = parsed.map { set in set.flatMap { $0.comparators(includePrerelease: false) } }
        comparatorSetsIncludingPrerelease = parsed.map { set in set.flatMap { $0.comparators(includePrerelease: true) }
        }
    }

    /// Decodes a range from its text.
    /// - Parameter decoder: The decoder to read a single string from.
    /// - Throws: `DecodingError.dataCorrupted` when the string is not a range.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try VersionRange(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the range as its normalised text.
    /// - Parameter encoder: The encoder to write a single string to.
    /// - Throws: The encoder's error.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The range `=VERSION`: exactly one version (by precedence).
    /// - Parameter version: The only version in the range.
    /// - Returns: The range, printed as the bare version.
    public static func exactly(_ version: SemanticVersion) -> VersionRange {
        // A full version always parses as a range.
        try! VersionRange(parsing: version.release.description + prereleaseSuffix(version))
    }

    /// `*`: every release (and, by the prerelease rule, no prerelease).
    public static let any = try! VersionRange(parsing: "*")

    /// Whether `version` is in the range.
    ///
    /// By default npm's prerelease rule applies (see ``VersionRange``); with `includePrerelease` the range is read
    /// as node-semver reads it with that option: prereleases are treated like any other version, and partial lower
    /// bounds start at their `-0` prerelease.
    /// - Parameters:
    ///   - version: The version to test.
    ///   - includePrerelease: Whether to let prereleases match without the same-release rule; `false` by default.
    /// - Returns: `true` when the version satisfies one `||` set.
    public func contains(_ version: SemanticVersion, includePrerelease: Bool = false) -> Bool {
        let sets = includePrerelease ? comparatorSetsIncludingPrerelease : comparatorSets
        return sets.contains { set in
            guard set.allSatisfy({ $0.matches(version) }) else { return false }
            guard version.isPrerelease, !includePrerelease else { return true }
            return set.contains { $0.version.isPrerelease && $0.version.hasSameRelease(as: version) }
        }
    }

    /// Whether the two ranges have the same normalised text.
    /// - Parameters:
    ///   - lhs: One range.
    ///   - rhs: The other range.
    /// - Returns: `true` when the descriptions are equal.
    public static func == (lhs: VersionRange, rhs: VersionRange) -> Bool { lhs.description == rhs.description }

    /// Hashes the normalised text.
    /// - Parameter hasher: The hasher to feed.
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    /// `-PRERELEASE` for a prerelease version, else nothing.
    private static func prereleaseSuffix(_ version: SemanticVersion) -> String {
        version.isPrerelease ? "-" + version.prerelease.map(\.description).joined(separator: ".") : ""
    }
}
