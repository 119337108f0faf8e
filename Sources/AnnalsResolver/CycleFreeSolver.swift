/// Version solving whose solutions have no dependency cycle: solves, and while the versions chosen depend on each
/// other in a cycle, rules that cycle out (``VersionSolver/ruleOut(cycle:)``) and solves again, until a solution has
/// no cycle, there is no solution, more than ``cycleLimit`` cycles were found, or the work budget ran out.
///
/// Ruling out a cycle removes only choices of versions that have it, and each solve keeps everything learned before,
/// so a solution without a cycle is found whenever one exists (within the limit), chosen by the solver's usual
/// preferences: the installed version when it fits, else the newest.
struct CycleFreeSolver {
    /// The solver, with every incompatibility learned so far, those that rule out cycles included.
    private(set) var versionSolver: VersionSolver
    /// The most cycles ruled out before giving up.
    let cycleLimit: Int
    /// The indices of the incompatibilities that rule out the cycles found, in the order found.
    private(set) var ruledOutCycles: [Int] = []

    /// A solution without a cycle.
    struct Solution {
        /// The chosen version of every package, by name.
        let versions: [String: SemanticVersion]
        /// What each chosen version depends on, by name.
        let dependencies: [String: [String: VersionRange]]
        /// The chosen versions, dependencies first, ties by name.
        let installOrder: [PackageVersion]
    }

    /// How solving ended.
    enum Outcome {
        /// A solution without a cycle.
        case solved(Solution)
        /// No solution without a cycle; the index of the incompatibility that proves it.
        case unsolvable(failure: Int)
        /// More than ``CycleFreeSolver/cycleLimit`` cycles were found (each is in ``ruledOutCycles``).
        case tooManyCycles
        /// The solves together took ``VersionSolver/workBudget`` steps without finishing.
        case outOfWork
    }

    /// A solver for `request` over `provider`.
    /// - Parameters:
    ///   - provider: Where versions and dependencies come from.
    ///   - request: The requirements, pins and installed versions.
    ///   - cycleLimit: The most cycles to rule out before giving up.
    ///   - workBudget: The most steps (decisions plus conflict-resolution steps) the solves take together.
    init(provider: any PackageProvider, request: ResolutionRequest, cycleLimit: Int, workBudget: Int) {
        versionSolver = VersionSolver(
            provider: provider, requirements: request.requirements, locked: request.locked,
            preferred: request.preferred, workBudget: workBudget)
        self.cycleLimit = cycleLimit
    }

    /// Solves until a solution has no cycle, there is no solution, the cycle limit is passed or the work budget runs
    /// out.
    mutating func solve() -> Outcome {
        while true {
            let chosen: [Int: Int]
            switch versionSolver.solve() {
            case .solved(let solution): chosen = solution
            case .failed(let failure): return .unsolvable(failure: failure)
            case .outOfWork: return .outOfWork
            }
            var versions: [String: SemanticVersion] = [:]
            for (package, version) in chosen {
                let chosenVersion = versionSolver.table.packageVersion(package, version)
                versions[chosenVersion.name] = chosenVersion.version
            }
            var dependencies: [String: [String: VersionRange]] = [:]
            for (name, version) in versions {
                dependencies[name] = versionSolver.table.provider.dependencies(of: name, at: version)
            }
            switch InstallOrder.order(versions, dependencies: dependencies.mapValues { Array($0.keys) }) {
            case .success(let order):
                return .solved(Solution(versions: versions, dependencies: dependencies, installOrder: order))
            case .failure(let cycle):
                let packages = cycle.path.dropLast().map { version in
                    guard let package = versionSolver.table.existingIndex(of: version.name) else {
                        preconditionFailure("a chosen package is in the table")
                    }
                    return package
                }
                ruledOutCycles.append(versionSolver.ruleOut(cycle: packages))
                // `cycleLimit` cycles were ruled out and solved around: the one found after them is one too many (it
                // is ruled out only to be listed).
                if ruledOutCycles.count > cycleLimit { return .tooManyCycles }
            }
        }
    }
}
