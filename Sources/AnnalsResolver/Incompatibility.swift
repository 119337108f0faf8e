/// A statement about one package's version: the set of "states" it allows, over the package's known versions plus
/// one extra index meaning "not selected".
///
/// A positive term (`a ^1.0.0`: a is selected at one of these versions) never contains the "not selected" index; a
/// negative term (`not a ^1.0.0`) is the complement, so it does. With the extra index, intersection, subset and
/// complement are plain set operations, and exact even under npm's prerelease rule.
struct Term: Sendable, Hashable {
    /// The package's index in the package table.
    let package: Int
    /// The allowed states; index `capacity - 1` is "not selected".
    let states: VersionBitSet

    /// Whether the term requires the package to be selected.
    var isPositive: Bool { !states.contains(states.capacity - 1) }

    /// The opposite term: every state this one excludes.
    var negated: Term { Term(package: package, states: states.complement()) }

    /// The versions the term allows (without "not selected").
    var versions: VersionBitSet {
        var versions = states
        versions.remove(states.capacity - 1)
        return versions
    }
}

/// A set of terms that must not all be true at once, and how the solver knows it.
struct Incompatibility: Sendable {
    /// Where an incompatibility comes from.
    enum Cause: Sendable, Hashable {
        /// The install must happen: `{ not root }`.
        case root
        /// `dependent` at version index `version` depends on `dependency` with `range` (the root for the install's
        /// own requirements).
        case dependency(dependent: Int, version: Int, dependency: Int, range: VersionRange)
        /// `package` is pinned to `version`: no other version may be chosen.
        case pinned(package: Int, version: SemanticVersion)
        /// No known version of `package` is left to choose.
        case noVersions(package: Int)
        /// The packages `packages`, in this order, each at a version that depends on the next (the last on the
        /// first), form a dependency cycle, which has no install order (one package for a version depending on its
        /// own package).
        case cycle(packages: [Int])
        /// Derived during conflict resolution from two earlier incompatibilities (their indices).
        case conflict(Int, Int)
    }

    /// The terms, at most one per package, ordered by package index.
    let terms: [Term]
    /// How the incompatibility was learned.
    let cause: Cause

    /// Merges `terms` of the same package (an incompatibility of `t1` and `t2` on one package is one of `t1 ∩ t2`)
    /// and drops terms that always hold; returns `nil` when a term can never hold, so the whole is vacuous.
    /// A derived incompatibility with more than one term drops the positive root term, which always holds.
    init?(terms: [Term], cause: Cause) {
        var merged: [Int: VersionBitSet] = [:]
        for term in terms {
            merged[term.package] = merged[term.package].map { $0.intersection(term.states) } ?? term.states
        }
        var result: [Term] = []
        for package in merged.keys.sorted() {
            let states = merged[package]!
            if states.isEmpty { return nil }
            if states.count == states.capacity { continue }
            result.append(Term(package: package, states: states))
        }
        if case .conflict = cause, result.count > 1 {
            result.removeAll { $0.package == VersionSolver.rootPackage && $0.isPositive }
        }
        self.terms = result
        self.cause = cause
    }

    /// Whether this incompatibility means the whole resolution fails: no terms, or only "the install happens".
    var isFailure: Bool {
        terms.isEmpty || (terms.count == 1 && terms[0].package == VersionSolver.rootPackage && terms[0].isPositive)
    }

    /// This incompatibility's term for `package`, if it has one.
    func term(for package: Int) -> Term? { terms.first { $0.package == package } }
}
