/// The solver's current assignments: decisions (a package at one version) and derivations (terms implied by
/// incompatibilities), in order, each at a decision level.
struct PartialSolution {
    /// One assignment.
    struct Assignment {
        /// The term assigned.
        let term: Term
        /// The number of decisions made before (and including) it.
        let decisionLevel: Int
        /// The incompatibility it was derived from, or `nil` for a decision.
        let cause: Int?
    }

    /// How the assignments relate to a term.
    enum Relation {
        /// The assignments imply the term.
        case satisfied
        /// The assignments exclude the term.
        case contradicted
        /// Neither.
        case inconclusive
    }

    /// Every assignment, in order.
    private(set) var assignments: [Assignment] = []
    /// The current decision level.
    private(set) var decisionLevel = 0
    /// The intersection of each package's assignments, by package index (`nil` without assignments).
    private var accumulated: [VersionBitSet?] = []
    /// The positions of each package's assignments, by package index.
    private var positions: [[Int]] = []
    /// The chosen version index of each decided package.
    private(set) var decisions: [Int?] = []
    /// Packages that must be selected (a positive accumulated term) but have no decision yet.
    private(set) var undecided: Set<Int> = []

    /// Makes room for package indices up to `count - 1`.
    mutating func reserve(packages count: Int) {
        while accumulated.count < count {
            accumulated.append(nil)
            positions.append([])
            decisions.append(nil)
        }
    }

    /// The intersection of `package`'s assignments, or `nil` when it has none.
    func accumulatedStates(of package: Int) -> VersionBitSet? { accumulated[package] }

    /// How the assignments relate to `term`.
    func relation(to term: Term) -> Relation {
        guard let states = accumulated[term.package] else { return .inconclusive }
        if states.isSubset(of: term.states) { return .satisfied }
        if states.isDisjoint(with: term.states) { return .contradicted }
        return .inconclusive
    }

    /// Whether the assignments imply `term`.
    func satisfies(_ term: Term) -> Bool { relation(to: term) == .satisfied }

    /// Adds a derived term.
    mutating func derive(_ term: Term, cause: Int) {
        append(Assignment(term: term, decisionLevel: decisionLevel, cause: cause))
    }

    /// Decides `package` at version index `version`, opening a new decision level.
    mutating func decide(_ package: Int, version: Int, states: VersionBitSet) {
        decisionLevel += 1
        decisions[package] = version
        append(Assignment(term: Term(package: package, states: states), decisionLevel: decisionLevel, cause: nil))
    }

    /// The position of the first assignment after which the assignments imply `term`.
    func satisfier(of term: Term) -> Int {
        var states: VersionBitSet?
        for position in positions[term.package] {
            let next =
                states.map { $0.intersection(assignments[position].term.states) }
                ?? assignments[position].term.states
            states = next
            if next.isSubset(of: term.states) { return position }
        }
        preconditionFailure("no assignment satisfies the term of package \(term.package)")
    }

    /// Removes every assignment above decision level `level`.
    mutating func backtrack(to level: Int) {
        var touched: Set<Int> = []
        while let last = assignments.last, last.decisionLevel > level {
            assignments.removeLast()
            touched.insert(last.term.package)
            positions[last.term.package].removeLast()
        }
        decisionLevel = level
        for package in touched {
            accumulated[package] = nil
            decisions[package] = nil
            for position in positions[package] {
                let assignment = assignments[position]
                accumulated[package] =
                    accumulated[package].map { $0.intersection(assignment.term.states) }
                    ?? assignment.term.states
                if assignment.cause == nil { decisions[package] = assignment.term.versions.last }
            }
            updateUndecided(package)
        }
    }

    /// Records `assignment` and updates its package's accumulated term.
    private mutating func append(_ assignment: Assignment) {
        let package = assignment.term.package
        positions[package].append(assignments.count)
        assignments.append(assignment)
        accumulated[package] =
            accumulated[package].map { $0.intersection(assignment.term.states) }
            ?? assignment.term.states
        updateUndecided(package)
    }

    /// Puts `package` in or out of ``undecided``.
    private mutating func updateUndecided(_ package: Int) {
        if let states = accumulated[package], !states.contains(states.capacity - 1), decisions[package] == nil {
            undecided.insert(package)
        } else {
            undecided.remove(package)
        }
    }
}
