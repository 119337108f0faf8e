import AnnalsResolver

/// The resolver's view of the plugins one organization can see: each plugin's releases and their dependencies.
struct PluginCatalogProvider: PackageProvider {
    /// The visible plugins, by name (an organization's own shadowing global ones of the same name).
    let plugins: [String: Plugin]
    /// Why each plugin that exists but is not offered cannot be chosen (an allowlist hides it, its registry withdrew
    /// it), by name, for the resolver's explanations.
    var unavailable: [String: String] = [:]

    func versions(of package: String) -> [SemanticVersion]? {
        plugins[package].map { $0.releases.map(\.version) }
    }

    func dependencies(of package: String, at version: SemanticVersion) -> [String: VersionRange] {
        plugins[package]?.release(version)?.dependencies ?? [:]
    }

    func unavailability(of package: String) -> String? { unavailable[package] }
}
