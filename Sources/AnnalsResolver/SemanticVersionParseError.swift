/// Why a text is not a semantic version: the text, and what is wrong with it.
///
/// ```swift
/// do { _ = try SemanticVersion(parsing: "1.02.3") } catch {
///     print(error)   // invalid version "1.02.3": leading zero in the minor version
/// }
/// ```
public struct SemanticVersionParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One of the three numbers of a version core.
    public enum Component: String, Sendable, Hashable {
        /// The first number, `1` in `1.2.3`.
        case major
        /// The second number, `2` in `1.2.3`.
        case minor
        /// The third number, `3` in `1.2.3`.
        case patch
    }

    /// What is wrong with the text.
    public enum Reason: Error, Sendable, Hashable, CustomStringConvertible {
        /// The text is empty (or only whitespace).
        case empty
        /// A number of the version core is missing, as the patch version in `1.2`.
        case missingComponent(Component)
        /// A number of the version core is not made of digits, as the minor version in `1.x.3`.
        case notANumber(Component, String)
        /// A number of the version core starts with `0` and has more digits, as the major version in `01.2.3`.
        case leadingZero(Component)
        /// A number of the version core is larger than 2^53 − 1, npm's `Number.MAX_SAFE_INTEGER` (or, where a range
        /// ignores it after a wildcard, longer than the 257 digits npm reads).
        case tooLarge(String)
        /// The version is longer than 256 characters, npm's `MAX_LENGTH`; the length is counted as JavaScript counts
        /// it (UTF-16 code units).
        case tooLong(Int)
        /// A prerelease or build identifier is longer than npm reads: a build identifier of more than 250
        /// characters, a numeric prerelease identifier of more than 257 digits, or an alphanumeric one with more than
        /// 256 digits before its first letter or hyphen, or more than 250 characters after it. Only an identifier
        /// that a range drops (build metadata after `~` or `^`, a tag after a wildcard) can be that long without
        /// making its version longer than 256 characters (``tooLong(_:)``).
        case identifierTooLong(String, section: String)
        /// The core has more than three numbers, as in `1.2.3.4`.
        case extraComponent(String)
        /// The prerelease tag or the build metadata has an empty identifier, as in `1.2.3-alpha..1`.
        case emptyIdentifier(section: String)
        /// An identifier holds a character other than ASCII letters, digits and hyphens.
        case invalidCharacter(Character, section: String)
        /// A numeric prerelease identifier starts with `0` and has more digits, as in `1.2.3-alpha.01`.
        case leadingZeroInPrerelease(String)

        /// The reason in words, such as `leading zero in the minor version`.
        public var description: String {
            switch self {
            case .empty: "the text is empty"
            case .missingComponent(let component): "missing the \(component.rawValue) version"
            case .notANumber(let component, let text): "the \(component.rawValue) version \"\(text)\" is not a number"
            case .leadingZero(let component): "leading zero in the \(component.rawValue) version"
            case .tooLarge(let text): "the number \(text) is too large"
            case .tooLong(let length):
                "the version is \(length) characters long, more than \(VersionTextParser.maximumLength)"
            case .identifierTooLong(let identifier, let section):
                "the identifier \"\(identifier.prefix(16))…\" (\(identifier.count) characters) in the \(section) is "
                    + "longer than npm reads"
            case .extraComponent(let text): "unexpected fourth number \"\(text)\" (a version has three)"
            case .emptyIdentifier(let section): "empty identifier in the \(section)"
            case .invalidCharacter(let character, let section):
                "invalid character \"\(character)\" in the \(section) (only ASCII letters, digits and hyphens)"
            case .leadingZeroInPrerelease(let text): "leading zero in the numeric prerelease identifier \"\(text)\""
            }
        }
    }

    /// The text that was parsed, as given.
    public let input: String
    /// What is wrong with it.
    public let reason: Reason

    /// Creates an error for `input`.
    /// - Parameters:
    ///   - input: The text that was parsed.
    ///   - reason: What is wrong with it.
    public init(input: String, reason: Reason) {
        self.input = input
        self.reason = reason
    }

    /// `invalid version "TEXT": REASON`.
    public var description: String { "invalid version \"\(input)\": \(reason)" }
}
