/// One dot-separated identifier of a version's prerelease tag: `alpha`, `1` or `x-7` in `1.0.0-alpha.1.x-7`.
///
/// Identifiers made of digits only are numeric and compare numerically; all others compare as ASCII text, and a
/// numeric identifier always has lower precedence than an alphanumeric one (SemVer 2.0.0, item 11). SemVer sets no
/// limit on a numeric identifier, nor does npm (`1.0.0-20240101123045123456` is a version), so one too large for 64
/// bits is kept as its digits.
public enum PrereleaseIdentifier: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// An identifier of digits only, without leading zeros: `1` in `1.0.0-rc.1`.
    case numeric(UInt64)
    /// A numeric identifier larger than `UInt64.max`, as its digits (no leading zero): `20240101123045123456` in
    /// `1.0.0-20240101123045123456`. It sorts after every ``numeric(_:)`` identifier and before every
    /// ``alphanumeric(_:)`` one, and among its kind by value.
    case largeNumeric(String)
    /// An identifier with at least one letter or hyphen: `rc` in `1.0.0-rc.1`.
    case alphanumeric(String)

    /// The identifier as written in a version.
    public var description: String {
        switch self {
        case .numeric(let value): String(value)
        case .largeNumeric(let digits), .alphanumeric(let digits): digits
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
        case (.largeNumeric(let left), .largeNumeric(let right)):
            // Without leading zeros, the shorter number is the smaller; equal lengths compare digit by digit.
            left.utf8.count != right.utf8.count
                ? left.utf8.count < right.utf8.count : Array(left.utf8).lexicographicallyPrecedes(right.utf8)
        case (.numeric, .largeNumeric), (.numeric, .alphanumeric), (.largeNumeric, .alphanumeric): true
        case (.largeNumeric, .numeric), (.alphanumeric, .numeric), (.alphanumeric, .largeNumeric): false
        case (.alphanumeric(let left), .alphanumeric(let right)): Array(left.utf8).lexicographicallyPrecedes(right.utf8)
        }
    }
}
