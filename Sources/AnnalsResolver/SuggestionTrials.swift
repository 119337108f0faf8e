/// A change a failure's suggestion proposes: to the install request, or to one package's requirements.
enum SuggestedChange {
    /// Remove the pin on `package`.
    case unpin(package: String)
    /// Request `package` in `range`, instead of what the install requests of it, if anything.
    case request(package: String, range: VersionRange)
    /// Let `dependent` at `version` (at every version when `nil`), where it depends on `dependency`, accept `range`
    /// of it instead.
    case relax(dependency: String, dependent: String, version: SemanticVersion?, range: VersionRange)
}

/// Tries suggested changes before they are suggested: resolves the failed request again with each change applied
/// (a full solve, without cycles), at most ``limit`` times per failure and within one work budget shared by those
/// solves, so only changes that work are suggested.
struct SuggestionTrials {
    /// The most changes tried for one failure.
    static let limit = 8

    /// Where versions and dependencies come from.
    let provider: any PackageProvider
    /// The request that failed.
    let request: ResolutionRequest
    /// The most cycles each solve rules out before giving up.
    let cycleLimit: Int
    /// How many more changes may be tried.
    private(set) var remaining = Self.limit
    /// How many more steps (decisions plus conflict-resolution steps) the trials may take together.
    private(set) var remainingWork: Int

    /// Trials of changes to `request` over `provider`.
    /// - Parameters:
    ///   - provider: Where versions and dependencies come from.
    ///   - request: The request that failed.
    ///   - cycleLimit: The most cycles each solve rules out before giving up.
    ///   - workBudget: The most steps the trials take together.
    init(provider: any PackageProvider, request: ResolutionRequest, cycleLimit: Int, workBudget: Int) {
        self.provider = provider
        self.request = request
        self.cycleLimit = cycleLimit
        remainingWork = workBudget
    }

    /// Whether the request resolves with `change` applied: `false` when it fails or the trials' work budget runs
    /// out during it, and, without solving, once ``limit`` changes were tried or the budget is spent.
    mutating func resolves(_ change: SuggestedChange) -> Bool {
        guard remaining > 0, remainingWork > 0 else { return false }
        remaining -= 1
        var changed = request
        var changedProvider = provider
        switch change {
        case .unpin(let package): changed.locked[package] = nil
        case .request(let package, let range): changed.requirements[package] = range
        case .relax(let dependency, let dependent, let version, let range):
            changedProvider = RelaxedRequirementProvider(
                base: provider, dependent: dependent, version: version, dependency: dependency, range: range)
        }
        var solver = CycleFreeSolver(
            provider: changedProvider, request: changed, cycleLimit: cycleLimit, workBudget: remainingWork)
        let outcome = solver.solve()
        remainingWork -= solver.versionSolver.work
        if case .solved = outcome { return true }
        return false
    }
}
