/// PubGrub version solving (Natalie Weizenbaum's algorithm) over exact version sets: unit propagation, decisions
/// that prefer the installed or else the newest version, and conflict resolution that learns incompatibilities and
/// backjumps, keeping every incompatibility's cause so a failure can be explained.
struct VersionSolver {
    /// The root package's index: the install itself.
    static let rootPackage = PackageTable.root

    /// The packages seen so far.
    var table: PackageTable
    /// Every incompatibility, in the order learned.
    private(set) var incompatibilities: [Incompatibility] = []
    /// The incompatibilities that mention each package, by package index.
    private var incompatibilitiesByPackage: [[Int]] = []
    /// The assignments.
    private var solution = PartialSolution()
    /// The install's own requirements.
    private let requirements: [String: VersionRange]
    /// Versions that must not change, by name.
    private let locked: [String: SemanticVersion]
    /// Versions to keep when they fit, by name.
    private let preferred: [String: SemanticVersion]
    /// Package versions whose dependencies have been added.
    private var expanded: Set<PackageVersionIndex> = []
    /// The most steps (decisions plus conflict-resolution steps) this solver takes, over all its solves, before it
    /// gives up with ``Outcome/outOfWork``.
    let workBudget: Int
    /// The decisions taken so far, over all solves: each picks a package to choose a version of.
    private(set) var decisions = 0
    /// The conflict-resolution steps taken so far, over all solves: each learns one incompatibility from two.
    private(set) var conflictSteps = 0
    /// The steps taken so far: ``decisions`` plus ``conflictSteps``.
    var work: Int { decisions + conflictSteps }

    /// A package index and a version index.
    private struct PackageVersionIndex: Hashable {
        /// The package index.
        let package: Int
        /// The version index.
        let version: Int
    }

    /// A solver for one request, which takes at most `workBudget` steps over all its solves.
    init(
        provider: any PackageProvider, requirements: [String: VersionRange], locked: [String: SemanticVersion],
        preferred: [String: SemanticVersion], workBudget: Int
    ) {
        table = PackageTable(provider: provider)
        self.workBudget = workBudget
        self.requirements = requirements
        self.locked = locked
        self.preferred = preferred
        add(Incompatibility(terms: [Term(package: Self.rootPackage, states: onlyAbsent(2))], cause: .root))
        for name in locked.keys.sorted() {
            let package = table.index(of: name)
            let versions = table.entries[package].versions
            let others = VersionBitSet(capacity: versions.count + 1) {
                $0 < versions.count && versions[$0] != locked[name]
            }
            add(
                Incompatibility(
                    terms: [Term(package: package, states: others)],
                    cause: .pinned(package: package, version: locked[name]!)))
        }
    }

    /// How a solve ended.
    enum Outcome {
        /// The chosen version index of every selected package, by package index.
        case solved([Int: Int])
        /// There is no solution: the index of the incompatibility that proves it.
        case failed(incompatibility: Int)
        /// The solver took ``VersionSolver/workBudget`` steps, over all its solves, without finishing.
        case outOfWork
    }

    /// Solves: the chosen version index of every selected package, the index of the incompatibility that proves
    /// there is no solution, or ``Outcome/outOfWork`` once ``workBudget`` steps were taken.
    ///
    /// Each call starts from no assignments but keeps every incompatibility known so far, those learned from
    /// conflicts included (they follow from the facts, which never go away), so solving again after ``ruleOut(cycle:)``
    /// only has to find its way around the new incompatibility. The steps taken add up over the calls.
    mutating func solve() -> Outcome {
        solution = PartialSolution()
        solution.reserve(packages: table.entries.count)
        var next = Self.rootPackage
        while true {
            if let stop = propagate(from: next) { return stop }
            guard let package = nextPackage() else { break }
            guard work < workBudget else { return .outOfWork }
            decisions += 1
            decide(package)
            next = package
        }
        var chosen: [Int: Int] = [:]
        for package in 1..<table.entries.count {
            if let version = solution.decisions.count > package ? solution.decisions[package] : nil {
                chosen[package] = version
            }
        }
        return .solved(chosen)
    }

    /// Rules out a dependency cycle: no solution may select each package of `packages` at a version that depends on
    /// the next one (the last on the first), since any such choice closes the same cycle and has no install order.
    /// - Parameter packages: The packages on the cycle, in order; one package for a version depending on itself.
    /// - Returns: The index of the new incompatibility.
    mutating func ruleOut(cycle packages: [Int]) -> Int {
        var terms: [Term] = []
        for (offset, package) in packages.enumerated() {
            let entry = table.entries[package]
            let next = table.entries[packages[(offset + 1) % packages.count]].name
            let closing = VersionBitSet(capacity: entry.stateCount) { version in
                version < entry.versions.count
                    && table.provider.dependencies(of: entry.name, at: entry.versions[version])[next] != nil
            }
            terms.append(Term(package: package, states: closing))
        }
        guard let index = add(Incompatibility(terms: terms, cause: .cycle(packages: packages))) else {
            preconditionFailure("a cycle found in a solution closes at the versions chosen")
        }
        return index
    }

    /// The states set containing only "not selected", for a package with `count` states.
    private func onlyAbsent(_ count: Int) -> VersionBitSet {
        var states = VersionBitSet(empty: count)
        states.insert(count - 1)
        return states
    }

    /// Adds an incompatibility (unless vacuous) and indexes it by package; returns its index.
    @discardableResult
    private mutating func add(_ incompatibility: Incompatibility?) -> Int? {
        guard let incompatibility else { return nil }
        incompatibilities.append(incompatibility)
        let index = incompatibilities.count - 1
        solution.reserve(packages: table.entries.count)
        while incompatibilitiesByPackage.count < table.entries.count { incompatibilitiesByPackage.append([]) }
        for term in incompatibility.terms { incompatibilitiesByPackage[term.package].append(index) }
        return index
    }

    /// What propagating one incompatibility found.
    private enum PropagationResult {
        /// Nothing to derive.
        case none
        /// Every term is satisfied: a conflict.
        case conflict
        /// A term of this package was derived.
        case derived(Int)
    }

    /// Unit propagation from `package`: derives every term the incompatibilities force, resolving conflicts on the
    /// way; returns how solving ends if a conflict cannot be resolved, or the work budget runs out resolving one.
    private mutating func propagate(from package: Int) -> Outcome? {
        var changed = [package]
        var queued: Set = [package]
        while let current = changed.popLast() {
            queued.remove(current)
            let candidates = incompatibilitiesByPackage[current]
            incompatibilities: for index in candidates.reversed() {
                switch propagate(incompatibility: index) {
                case .none: continue
                case .derived(let derived):
                    if queued.insert(derived).inserted { changed.append(derived) }
                case .conflict:
                    let rootCause: Int
                    switch resolveConflict(index) {
                    case .resolved(let cause): rootCause = cause
                    case .stopped(let outcome): return outcome
                    }
                    changed.removeAll()
                    queued.removeAll()
                    guard case .derived(let derived) = propagate(incompatibility: rootCause) else {
                        preconditionFailure("a learned incompatibility must be almost satisfied after backjumping")
                    }
                    changed.append(derived)
                    queued.insert(derived)
                    break incompatibilities
                }
            }
        }
        return nil
    }

    /// Derives the negation of the one undecided term of an almost satisfied incompatibility.
    private mutating func propagate(incompatibility index: Int) -> PropagationResult {
        var unsatisfied: Term?
        for term in incompatibilities[index].terms {
            switch solution.relation(to: term) {
            case .contradicted: return .none
            case .satisfied: continue
            case .inconclusive:
                if unsatisfied != nil { return .none }
                unsatisfied = term
            }
        }
        guard let unsatisfied else { return .conflict }
        solution.derive(unsatisfied.negated, cause: index)
        return .derived(unsatisfied.package)
    }

    /// How a conflict resolution ended.
    private enum ConflictResolution {
        /// Backjumping made this incompatibility almost satisfied.
        case resolved(Int)
        /// Solving ends: ``Outcome/failed(incompatibility:)`` or ``Outcome/outOfWork``.
        case stopped(Outcome)
    }

    /// Conflict resolution: walks back through the causes of the satisfied incompatibility until it finds one that
    /// backjumping makes almost satisfied, learning the intermediate ones (a step each); fails on an incompatibility
    /// that says the install itself cannot happen, or stops when the work budget runs out.
    private mutating func resolveConflict(_ conflict: Int) -> ConflictResolution {
        var current = conflict
        while !incompatibilities[current].isFailure {
            let incompatibility = incompatibilities[current]
            var mostRecentTerm: Term?
            var mostRecentSatisfier = -1
            var difference: Term?
            var previousSatisfierLevel = 1
            for term in incompatibility.terms {
                let satisfier = solution.satisfier(of: term)
                if mostRecentTerm == nil {
                    mostRecentTerm = term
                    mostRecentSatisfier = satisfier
                } else if mostRecentSatisfier < satisfier {
                    previousSatisfierLevel = max(
                        previousSatisfierLevel, solution.assignments[mostRecentSatisfier].decisionLevel)
                    mostRecentTerm = term
                    mostRecentSatisfier = satisfier
                    difference = nil
                } else {
                    previousSatisfierLevel = max(previousSatisfierLevel, solution.assignments[satisfier].decisionLevel)
                }
                if mostRecentTerm == term {
                    let assigned = solution.assignments[mostRecentSatisfier].term
                    let rest = assigned.states.subtracting(term.states)
                    difference = rest.isEmpty ? nil : Term(package: term.package, states: rest)
                    if let difference {
                        let level = solution.assignments[solution.satisfier(of: difference.negated)].decisionLevel
                        previousSatisfierLevel = max(previousSatisfierLevel, level)
                    }
                }
            }
            let satisfier = solution.assignments[mostRecentSatisfier]
            guard previousSatisfierLevel >= satisfier.decisionLevel, let cause = satisfier.cause else {
                solution.backtrack(to: previousSatisfierLevel)
                return .resolved(current)
            }
            guard work < workBudget else { return .stopped(.outOfWork) }
            conflictSteps += 1
            var terms = incompatibility.terms.filter { $0.package != mostRecentTerm!.package }
            terms += incompatibilities[cause].terms.filter { $0.package != satisfier.term.package }
            if let difference { terms.append(difference.negated) }
            guard let derived = add(Incompatibility(terms: terms, cause: .conflict(current, cause))) else {
                preconditionFailure("a derived incompatibility cannot be vacuous")
            }
            current = derived
        }
        return .stopped(.failed(incompatibility: current))
    }

    /// The next package to decide: among those that must be selected, the one with the fewest versions left (ties
    /// by name); `nil` when every selected package has a version.
    private func nextPackage() -> Int? {
        var best: (package: Int, count: Int)?
        for package in solution.undecided {
            let count = solution.accumulatedStates(of: package)!.count
            if let current = best,
                current.count < count
                    || (current.count == count && table.entries[current.package].name < table.entries[package].name)
            {
                continue
            }
            best = (package, count)
        }
        return best?.package
    }

    /// Decides `package` at the preferred version when allowed, else the newest; adds an incompatibility instead
    /// when no version is left, and makes no decision when the version's dependencies conflict with the assignments
    /// (propagating from `package` then finds the conflict).
    private mutating func decide(_ package: Int) {
        let entry = table.entries[package]
        let allowed = solution.accumulatedStates(of: package)!
        var choice = allowed.last
        if let wanted = preferred[entry.name], let index = entry.versions.firstIndex(of: wanted),
            allowed.contains(index)
        {
            choice = index
        }
        guard let version = choice, version < entry.versions.count else {
            add(Incompatibility(terms: [Term(package: package, states: allowed)], cause: .noVersions(package: package)))
            return
        }
        var conflict = false
        for index in addDependencies(of: package, version: version) {
            conflict =
                conflict
                || incompatibilities[index].terms.allSatisfy { $0.package == package || solution.satisfies($0) }
        }
        if !conflict { solution.decide(package, version: version, states: table.states(of: package, version: version)) }
    }

    /// Adds the dependency incompatibilities of `package` at `version` (once); returns their indices.
    private mutating func addDependencies(of package: Int, version: Int) -> [Int] {
        guard expanded.insert(PackageVersionIndex(package: package, version: version)).inserted else { return [] }
        let entry = table.entries[package]
        let dependencies =
            package == Self.rootPackage
            ? requirements : table.provider.dependencies(of: entry.name, at: entry.versions[version])
        var added: [Int] = []
        for name in dependencies.keys.sorted() {
            let range = dependencies[name]!
            let dependency = table.index(of: name)
            let allowed = table.states(of: dependency, in: range)
            let terms = [
                Term(package: package, states: table.states(of: package, version: version)),
                Term(package: dependency, states: allowed).negated,
            ]
            let cause = Incompatibility.Cause.dependency(
                dependent: package, version: version, dependency: dependency, range: range)
            if let index = add(Incompatibility(terms: terms, cause: cause)) { added.append(index) }
        }
        return added
    }
}
