/// Why a text is not an npm version range: the range text, the offending token and its position, and what is wrong.
///
/// Dist-tags (`latest`, `next`, `beta`) and the `workspace:` protocol are not ranges but come up where ranges are
/// expected, so they have their own reasons, ``Reason/distTag(_:)`` and ``Reason/workspaceProtocol(_:)``, for a
/// caller to map them itself:
/// ```swift
/// do { _ = try VersionRange(parsing: "latest") } catch {
///     if case .distTag(let tag) = error.reason { print("resolve the tag \(tag) first") }
/// }
/// ```
public struct VersionRangeParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the range text.
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// The whole text is a plain identifier such as `latest` or `next`: a dist-tag, not a range.
        case distTag(String)
        /// The text uses the `workspace:` protocol (`workspace:*`, `workspace:^`, …), which names a local package.
        case workspaceProtocol(String)
        /// A token's version part is not a version or a partial version (`1`, `1.x`, `1.2.*`).
        case invalidVersion(SemanticVersionParseError.Reason)
        /// A prerelease tag follows a version of fewer than three parts, as in `1.x-beta` or `1.2-rc.1`; after three
        /// parts it is allowed, and ignored when one of them is a wildcard (`1.2.x-beta` is `1.2.x`), as npm does.
        case prereleaseOnPartialVersion
        /// Build metadata follows a version of fewer than three parts, as in `1.2+build`.
        case buildOnPartialVersion
        /// A full version compared as it is (bare, or after `=`, `<`, `<=`, `>`, `>=`, or the `FROM` of a hyphen range,
        /// or its `TO` without a prerelease tag) has more than one `v` before it, or an `=` after its operator, as in
        /// `v=1.2.3`, `==1.2.3`, `>==1.2.3` or `=1.2.3 - 2`: npm refuses these comparators.
        case extraPrefix(String)
        /// A clause is rewritten into a bound past 2^53 − 1, the largest number npm allows, as `^9007199254740991.0.0`
        /// into `<9007199254740992.0.0-0`: npm refuses such a range. The bound is given as npm writes it.
        case boundTooLarge(String)
        /// An operator is followed by nothing, as in `>=` at the end.
        case missingVersion
        /// A hyphen range is missing a side, or a ` - ` appears among other comparators.
        case misplacedHyphen

        /// The reason in words.
        public var description: String {
            switch self {
            case .distTag(let tag): "\"\(tag)\" is a dist-tag, not a version range"
            case .workspaceProtocol(let text): "\"\(text)\" uses the workspace: protocol, not a version range"
            case .invalidVersion(let reason): reason.description
            case .prereleaseOnPartialVersion: "a prerelease tag needs a full major.minor.patch version"
            case .buildOnPartialVersion: "build metadata needs a full major.minor.patch version"
            case .extraPrefix(let prefix):
                "\"\(prefix)\" before a version: at most one \"v\" may come after the operator"
            case .boundTooLarge(let bound):
                "it means \"\(bound)\", past 9007199254740991, the largest number a version may have"
            case .missingVersion: "an operator without a version"
            case .misplacedHyphen: "a hyphen range needs exactly one version on each side of \" - \""
            }
        }
    }

    /// The range text that was parsed, as given.
    public let range: String
    /// The token at fault, such as `>=1.02`, or the whole text for a dist-tag.
    public let token: String
    /// The offset of the token in `range`, in characters from 0.
    public let position: Int
    /// What is wrong.
    public let reason: Reason

    /// Creates an error.
    /// - Parameters:
    ///   - range: The range text that was parsed.
    ///   - token: The token at fault.
    ///   - position: The token's offset in `range`, in characters.
    ///   - reason: What is wrong.
    public init(range: String, token: String, position: Int, reason: Reason) {
        self.range = range
        self.token = token
        self.position = position
        self.reason = reason
    }

    /// `invalid version range "TEXT": at character N, "TOKEN": REASON`, or just the reason for a dist-tag.
    public var description: String {
        switch reason {
        case .distTag, .workspaceProtocol: "invalid version range \"\(range)\": \(reason)"
        default: "invalid version range \"\(range)\": at character \(position), \"\(token)\": \(reason)"
        }
    }
}
