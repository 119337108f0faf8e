/// A provider that answers as another does, except that one package (at one version, or at all) accepts another
/// range of a dependency it has: a relaxed requirement, for trying a suggestion before making it.
struct RelaxedRequirementProvider: PackageProvider {
    /// The provider answered from.
    let base: any PackageProvider
    /// The package whose requirement is relaxed.
    let dependent: String
    /// The version of `dependent` relaxed; every version when `nil`.
    let version: SemanticVersion?
    /// The dependency whose range is replaced.
    let dependency: String
    /// The range `dependent` accepts of `dependency` instead.
    let range: VersionRange

    /// The versions `base` gives.
    func versions(of package: String) -> [SemanticVersion]? { base.versions(of: package) }

    /// The dependencies `base` gives, with the relaxed version's range on `dependency` replaced by ``range``.
    func dependencies(of package: String, at version: SemanticVersion) -> [String: VersionRange] {
        var dependencies = base.dependencies(of: package, at: version)
        if package == dependent, self.version == nil || self.version == version, dependencies[dependency] != nil {
            dependencies[dependency] = range
        }
        return dependencies
    }

    /// The reason `base` gives.
    func unavailability(of package: String) -> String? { base.unavailability(of: package) }
}
