/// What to resolve: the packages the install asks for, versions that must not change, and versions already
/// installed that should be kept if they fit.
public struct ResolutionRequest: Sendable, Hashable {
    /// The packages the install asks for, with the ranges it accepts.
    public var requirements: [String: VersionRange]
    /// Pinned packages: if chosen at all, each must be at exactly this version.
    public var locked: [String: SemanticVersion]
    /// Versions already installed: chosen whenever they satisfy everything, instead of the newest.
    public var preferred: [String: SemanticVersion]

    /// Creates a request.
    /// - Parameters:
    ///   - requirements: The packages the install asks for, with their ranges.
    ///   - locked: Pinned versions; none by default.
    ///   - preferred: Installed versions to keep when they fit; none by default.
    public init(
        requirements: [String: VersionRange], locked: [String: SemanticVersion] = [:],
        preferred: [String: SemanticVersion] = [:]
    ) {
        self.requirements = requirements
        self.locked = locked
        self.preferred = preferred
    }
}
