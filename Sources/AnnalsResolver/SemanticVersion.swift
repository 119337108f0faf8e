/// A semantic version as SemVer 2.0.0 defines it: `MAJOR.MINOR.PATCH`, an optional prerelease tag after `-` and
/// optional build metadata after `+`.
///
/// Versions compare by precedence exactly as the specification says: the three numbers numerically, then a version
/// with a prerelease tag before the same version without one, then the prerelease identifiers one by one (numeric
/// ones numerically and before alphanumeric ones, which compare as ASCII text; a shorter list of equal identifiers
/// first). Build metadata is kept and printed but ignored by precedence, and so by `==` and hashing as well:
/// `1.0.0+a == 1.0.0+b`.
///
/// Parsing is strict about the version itself but, like npm's `semver.clean`, tolerates surrounding whitespace and
/// one leading `v` or `=`:
/// ```swift
/// let version = try SemanticVersion(parsing: " v1.2.3-beta.2+exp.sha.5114f85 ")
/// version.description                              // "1.2.3-beta.2+exp.sha.5114f85"
/// version < SemanticVersion(1, 2, 3)               // true
/// ```
/// It is `Codable` as its string form.
public struct SemanticVersion: Sendable, Hashable, Comparable, Codable, LosslessStringConvertible {
    /// The major version: incompatible changes.
    public let major: UInt64
    /// The minor version: compatible additions.
    public let minor: UInt64
    /// The patch version: compatible fixes.
    public let patch: UInt64
    /// The prerelease identifiers, empty for a release: `[alpha, 1]` in `1.0.0-alpha.1`.
    public let prerelease: [PrereleaseIdentifier]
    /// The build metadata identifiers, empty when there are none: `[exp, sha]` in `1.0.0+exp.sha`.
    public let buildMetadata: [String]

    /// Creates a version from its parts.
    /// - Parameters:
    ///   - major: The major version.
    ///   - minor: The minor version.
    ///   - patch: The patch version.
    ///   - prerelease: The prerelease identifiers, none by default.
    ///   - buildMetadata: The build metadata identifiers, none by default.
    public init(
        _ major: UInt64, _ minor: UInt64, _ patch: UInt64, prerelease: [PrereleaseIdentifier] = [],
        buildMetadata: [String] = []
    ) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.buildMetadata = buildMetadata
    }

    /// Parses a version such as `1.2.3`, `1.0.0-rc.1+build.5` or ` v2.0.0 `.
    ///
    /// Surrounding whitespace and one leading `v` or `=` are ignored; everything else must follow SemVer 2.0.0:
    /// three numbers without leading zeros, prerelease and build identifiers that are non-empty and made of ASCII
    /// letters, digits and hyphens, numeric prerelease identifiers without leading zeros; at most 256 characters, as
    /// npm counts them (UTF-16 code units, surrounding whitespace included).
    /// - Parameter text: The text to parse.
    /// - Throws: ``SemanticVersionParseError`` naming the text and what is wrong with it.
    public init(parsing text: String) throws(SemanticVersionParseError) {
        do {
            self = try VersionTextParser.version(cleaning: Substring(text))
        } catch {
            throw SemanticVersionParseError(input: text, reason: error)
        }
    }

    /// Parses `description` like ``init(parsing:)``, or returns `nil` if it is not a version.
    /// - Parameter description: The text to parse.
    public init?(_ description: String) {
        guard let version = try? SemanticVersion(parsing: description) else { return nil }
        self = version
    }

    /// Decodes a version from its string form.
    /// - Parameter decoder: The decoder to read a single string from.
    /// - Throws: `DecodingError.dataCorrupted` when the string is not a version.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try SemanticVersion(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the version as its string form.
    /// - Parameter encoder: The encoder to write a single string to.
    /// - Throws: The encoder's error.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Whether the version has a prerelease tag.
    public var isPrerelease: Bool { !prerelease.isEmpty }

    /// The version without its prerelease tag and build metadata: `1.2.3` for `1.2.3-beta+sha`.
    public var release: SemanticVersion { SemanticVersion(major, minor, patch) }

    /// The version in canonical form: `1.2.3-beta.2+exp.sha` (no leading `v`).
    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.map(\.description).joined(separator: ".") }
        if !buildMetadata.isEmpty { text += "+" + buildMetadata.joined(separator: ".") }
        return text
    }

    /// Whether the two versions have the same precedence (build metadata is ignored).
    /// - Parameters:
    ///   - lhs: One version.
    ///   - rhs: The other version.
    /// - Returns: `true` when the numbers and prerelease identifiers are equal.
    public static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        lhs.major == rhs.major && lhs.minor == rhs.minor && lhs.patch == rhs.patch && lhs.prerelease == rhs.prerelease
    }

    /// Hashes the numbers and the prerelease identifiers (not the build metadata, which `==` ignores).
    /// - Parameter hasher: The hasher to feed.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }

    /// Whether `lhs` has lower precedence than `rhs`, per SemVer 2.0.0 item 11.
    /// - Parameters:
    ///   - lhs: One version.
    ///   - rhs: The version compared with.
    /// - Returns: `true` when `lhs` comes before `rhs`.
    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, _): return false
        case (false, true): return true
        case (false, false): return lhs.prerelease.lexicographicallyPrecedes(rhs.prerelease)
        }
    }

    /// Whether the two versions have the same major, minor and patch numbers (prerelease tags may differ).
    func hasSameRelease(as other: SemanticVersion) -> Bool {
        major == other.major && minor == other.minor && patch == other.patch
    }
}
