/// Chooses a version of every package an install needs, with PubGrub version solving.
///
/// It picks the newest versions that satisfy every requirement (prereleases only where a range admits them, by
/// npm's rule), keeps preferred (installed) versions when they fit, never moves a locked version, and never returns
/// versions that depend on each other in a cycle (they have no install order): when the versions it chose have one,
/// it rules that cycle out and solves again, so it finds versions without a cycle whenever some exist. On failure it
/// explains why in PubGrub's style, traced back to the install request. The same input always gives the same output.
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
    /// The most dependency cycles one resolution rules out before it gives up with
    /// ``ResolutionError/tooManyCycles(found:limit:)``.
    public let cycleLimit: Int
    /// The most steps one resolution takes — decisions (a package picked to be given a version) plus
    /// conflict-resolution steps (an incompatibility learned from two), over every solve it makes to avoid cycles —
    /// before it gives up with ``ResolutionError/workBudgetExhausted(decisions:conflictSteps:budget:)``. The trials of
    /// a failure's suggestions share a budget of their own, of the same size.
    public let workBudget: Int

    /// The work budget of a resolver created without one: 10,000 steps.
    public static var defaultWorkBudget: Int { 10_000 }

    /// Creates a resolver over `provider`.
    /// - Parameters:
    ///   - provider: Where versions and dependencies come from.
    ///   - cycleLimit: The most dependency cycles one resolution rules out before it gives up; 100 by default.
    ///   - workBudget: The most steps one resolution takes before it gives up; 10,000 by default.
    public init(provider: Provider, cycleLimit: Int = 100, workBudget: Int = defaultWorkBudget) {
        self.provider = provider
        self.cycleLimit = cycleLimit
        self.workBudget = workBudget
    }

    /// Resolves a request.
    /// - Parameter request: The install's requirements, pinned versions and installed versions.
    /// - Returns: The chosen versions, without a dependency cycle, the install order (dependencies first, ties by
    ///   name) and who requires each package.
    /// - Throws: ``ResolutionError``: ``ResolutionError/unknownPackage(name:requiredBy:report:)``,
    ///   ``ResolutionError/noMatchingVersion(name:available:requiredBy:report:)``,
    ///   ``ResolutionError/unsatisfiable(_:)`` with an explanation,
    ///   ``ResolutionError/dependencyCycle(cycles:report:)`` when every choice that satisfies the requirements has a
    ///   dependency cycle, ``ResolutionError/tooManyCycles(found:limit:)`` past ``cycleLimit``, or
    ///   ``ResolutionError/workBudgetExhausted(decisions:conflictSteps:budget:)`` past ``workBudget``.
    public func resolve(_ request: ResolutionRequest) throws(ResolutionError) -> Resolution {
        var solver = CycleFreeSolver(
            provider: provider, request: request, cycleLimit: cycleLimit, workBudget: workBudget)
        let solution: CycleFreeSolver.Solution
        switch solver.solve() {
        case .solved(let solved): solution = solved
        case .unsolvable(let failure):
            var explainer = FailureExplainer(
                table: solver.versionSolver.table, incompatibilities: solver.versionSolver.incompatibilities)
            throw explainer.error(
                for: failure,
                trials: SuggestionTrials(
                    provider: provider, request: request, cycleLimit: cycleLimit, workBudget: workBudget))
        case .tooManyCycles:
            let explainer = FailureExplainer(
                table: solver.versionSolver.table, incompatibilities: solver.versionSolver.incompatibilities)
            throw .tooManyCycles(found: solver.ruledOutCycles.map(explainer.cycle), limit: cycleLimit)
        case .outOfWork:
            throw .workBudgetExhausted(
                decisions: solver.versionSolver.decisions, conflictSteps: solver.versionSolver.conflictSteps,
                budget: workBudget)
        }
        let versions = solution.versions
        var reasons: [String: [Requirement]] = [:]
        for name in request.requirements.keys.sorted() where versions[name] != nil {
            reasons[name, default: []].append(Requirement(requirer: .install, range: request.requirements[name]!))
        }
        for dependent in solution.installOrder {
            let needs = solution.dependencies[dependent.name] ?? [:]
            for name in needs.keys.sorted() where versions[name] != nil {
                reasons[name, default: []].append(Requirement(requirer: .package(dependent), range: needs[name]!))
            }
        }
        return Resolution(versions: versions, installOrder: solution.installOrder, reasons: reasons)
    }
}
