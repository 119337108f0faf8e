/// Chooses a version of every package an install needs, with PubGrub version solving.
///
/// It picks the newest versions that satisfy every requirement (prereleases only where a range admits them, by
/// npm's rule), keeps preferred (installed) versions when they fit, never moves a locked version, and on failure
/// explains why in PubGrub's style, traced back to the install request. The same input always gives the same
/// output.
/// ```swift
/// var catalog = PackageCatalog()
/// try catalog.add("a", "1.0.0", dependencies: ["c": "^1.0.0"])
/// try catalog.add("c", "1.4.0")
/// let resolution = try DependencyResolver(provider: catalog)
///     .resolve(ResolutionRequest(requirements: ["a": VersionRange(parsing: "^1.0.0")]))
/// resolution.installOrder   // [c@1.4.0, a@1.0.0]
/// ```
public struct DependencyResolver<Provider: PackageProvider> {
    /// Where versions and dependencies come from.
    public let provider: Provider

    /// Creates a resolver over `provider`.
    /// - Parameter provider: Where versions and dependencies come from.
    public init(provider: Provider) {
        self.provider = provider
    }

    /// Resolves a request.
    /// - Parameter request: The install's requirements, pinned versions and installed versions.
    /// - Returns: The chosen versions, the install order (dependencies first, ties by name) and who requires each
    ///   package.
    /// - Throws: ``ResolutionError``: ``ResolutionError/unknownPackage(name:requiredBy:report:)``,
    ///   ``ResolutionError/noMatchingVersion(name:available:requiredBy:report:)``,
    ///   ``ResolutionError/unsatisfiable(_:)`` with an explanation, or
    ///   ``ResolutionError/dependencyCycle(path:)`` when the chosen versions depend on each other in a cycle.
    public func resolve(_ request: ResolutionRequest) throws(ResolutionError) -> Resolution {
        var solver = VersionSolver(
            provider: provider, requirements: request.requirements, locked: request.locked,
            preferred: request.preferred)
        let chosen: [Int: Int]
        switch solver.solve() {
        case .success(let solution): chosen = solution
        case .failure(let failure):
            var explainer = FailureExplainer(table: solver.table, incompatibilities: solver.incompatibilities)
            throw explainer.error(for: failure.incompatibility)
        }
        var versions: [String: SemanticVersion] = [:]
        for (package, version) in chosen {
            let chosenVersion = solver.table.packageVersion(package, version)
            versions[chosenVersion.name] = chosenVersion.version
        }
        var dependencies: [String: [String: VersionRange]] = [:]
        for (name, version) in versions { dependencies[name] = provider.dependencies(of: name, at: version) }
        let order: [PackageVersion]
        switch InstallOrder.order(versions, dependencies: dependencies.mapValues { Array($0.keys) }) {
        case .success(let sorted): order = sorted
        case .failure(let cycle): throw .dependencyCycle(path: cycle.path)
        }
        var reasons: [String: [Requirement]] = [:]
        for name in request.requirements.keys.sorted() where versions[name] != nil {
            reasons[name, default: []].append(Requirement(requirer: .install, range: request.requirements[name]!))
        }
        for dependent in order {
            let needs = dependencies[dependent.name] ?? [:]
            for name in needs.keys.sorted() where versions[name] != nil {
                reasons[name, default: []].append(Requirement(requirer: .package(dependent), range: needs[name]!))
            }
        }
        return Resolution(versions: versions, installOrder: order, reasons: reasons)
    }
}
