/// A dependency cycle the resolver ruled out: packages that, at the versions given, each depend on the next and the
/// last on the first, so they have no install order.
///
/// The resolver rules out a cycle as a whole: once it finds `x@1.1.0 → y@1.1.0 → x@1.1.0` among the versions it
/// chose, no choice of a version of `x` that depends on `y` together with a version of `y` that depends on `x` is
/// allowed, since every such choice closes the same cycle. A version that depends on its own package is a cycle of
/// one package.
public struct DependencyCycle: Sendable, Hashable, CustomStringConvertible {
    /// The packages on the cycle, in order: each depends on the next, the last on the first.
    public let packages: [String]
    /// For each package of ``packages``, in the same order, its versions that depend on the next package, ascending:
    /// one of them for each package closes the cycle.
    public let versions: [[SemanticVersion]]
    /// The cycle in words, each package with the versions that close it and the first repeated at the end, such as
    /// `x@1.1.0 → y@1.1.0 → x@1.1.0` or `x ^1.0.0 → y@1.1.0 → x ^1.0.0`.
    public let description: String

    /// Creates a cycle.
    /// - Parameters:
    ///   - packages: The packages on the cycle, in order.
    ///   - versions: For each package, its versions that depend on the next package.
    ///   - description: The cycle in words.
    public init(packages: [String], versions: [[SemanticVersion]], description: String) {
        self.packages = packages
        self.versions = versions
        self.description = description
    }
}
