/// Why a set of requirements cannot be resolved.
///
/// Every case but ``tooManyCycles(found:limit:)`` and ``workBudgetExhausted(decisions:conflictSteps:budget:)``
/// carries a ``ConflictReport``: the derivation PubGrub found, rendered as a numbered explanation traced back to the
/// install request, with suggestions. ``explanation`` prints it.
public enum ResolutionError: Error, Sendable, CustomStringConvertible {
    /// A requirement names a package the provider does not know.
    /// - `name`: the unknown package; `requiredBy`: who asked for it, with which range.
    case unknownPackage(name: String, requiredBy: Requirement, report: ConflictReport)
    /// A requirement's range matches none of the package's versions.
    /// - `available`: the versions that exist, ascending; `requiredBy`: who asked, with which range.
    case noMatchingVersion(name: String, available: [SemanticVersion], requiredBy: Requirement, report: ConflictReport)
    /// The requirements clash: no choice of versions satisfies them all.
    case unsatisfiable(ConflictReport)
    /// No choice of versions satisfies every requirement without a dependency cycle, which has no install order:
    /// the report's derivation rests on `cycles`, the cycles the resolver ruled out, such as
    /// `a@1.0.0 → b@2.0.0 → a@1.0.0` (and on no unknown package or range matching nothing, cases that come first).
    case dependencyCycle(cycles: [DependencyCycle], report: ConflictReport)
    /// The resolver ruled out `limit` dependency cycles one after another and the versions it chose next still had
    /// one, so it stopped; versions without a cycle may exist. `found` holds every cycle found, the last one too.
    case tooManyCycles(found: [DependencyCycle], limit: Int)
    /// The resolver took its whole work budget of `budget` steps — `decisions` decisions plus `conflictSteps`
    /// conflict-resolution steps (``DependencyResolver/workBudget``) — without choosing versions or proving that none
    /// fit, so it stopped; versions that fit may exist.
    case workBudgetExhausted(decisions: Int, conflictSteps: Int, budget: Int)

    /// A text for people: the explanation, with suggestions, or the cycles found before the resolver stopped.
    public var explanation: String {
        switch self {
        case .unknownPackage(_, _, let report), .noMatchingVersion(_, _, _, let report), .unsatisfiable(let report),
            .dependencyCycle(_, let report):
            report.explanation
        case .tooManyCycles(let found, let limit):
            "Resolution stopped after ruling out \(limit) dependency \(limit == 1 ? "cycle" : "cycles"), one at a time, "
                + "because the versions chosen next still had one (a cycle has no install order); versions without a "
                + "cycle may exist. The cycles found:\n" + found.map { "- \($0)" }.joined(separator: "\n")
        case .workBudgetExhausted(let decisions, let conflictSteps, let budget):
            "Resolution stopped: its work budget of \(budget) steps was exhausted (\(decisions) decisions and "
                + "\(conflictSteps) conflict-resolution steps) before it found versions that satisfy every requirement "
                + "or proved that none do; such versions may exist. Narrower requirements leave it less to search."
        }
    }

    /// The same as ``explanation``.
    public var description: String { explanation }

    /// The failure's report, for every case that has one (not ``tooManyCycles(found:limit:)`` or
    /// ``workBudgetExhausted(decisions:conflictSteps:budget:)``).
    public var report: ConflictReport? {
        switch self {
        case .unknownPackage(_, _, let report), .noMatchingVersion(_, _, _, let report), .unsatisfiable(let report),
            .dependencyCycle(_, let report):
            report
        case .tooManyCycles, .workBudgetExhausted: nil
        }
    }
}

/// A PubGrub failure for people and programs: the derivation tree, the clashing requirements it rests on, a
/// numbered explanation and suggestions.
public struct ConflictReport: Sendable, Hashable {
    /// How the failure was derived, from the external facts up to "version solving failed".
    public let derivation: Derivation
    /// The facts the derivation rests on (dependencies, install requirements, pins, ruled-out cycles), without
    /// repeats, in the order the explanation first uses them.
    public let facts: [ResolutionFact]
    /// Concrete ways out, such as `relax the requirement on c in b` or `unpin x`; each one that changes the request or
    /// a requirement was tried, and resolves. Empty when none was found that works.
    public let suggestions: [String]
    /// The explanation: sentences such as "Because a@1.0.0 depends on c ^2.0.0 and b@1.0.0 depends on c ^1.0.0,
    /// a@1.0.0 is incompatible with b@1.0.0.", lines referenced later numbered `(1)`, then the suggestions.
    public let explanation: String

    /// Creates a report.
    /// - Parameters:
    ///   - derivation: The derivation tree.
    ///   - facts: The facts it rests on.
    ///   - suggestions: Ways out.
    ///   - explanation: The rendered explanation.
    public init(derivation: Derivation, facts: [ResolutionFact], suggestions: [String], explanation: String) {
        self.derivation = derivation
        self.facts = facts
        self.suggestions = suggestions
        self.explanation = explanation
    }
}

/// One step of a failure's derivation: an external fact, a conclusion drawn from two earlier steps, or a conclusion
/// derived already, referred back to.
///
/// A conclusion the derivation uses more than once is derived in full only where the tree first meets it (causes
/// first, left to right) and is a ``reference(conclusion:line:)`` everywhere else, as PubGrub's error reporting
/// numbers such a line and refers back to it: repeating it would make the tree exponentially large.
public indirect enum Derivation: Sendable, Hashable {
    /// A fact from the request or the catalog.
    case fact(ResolutionFact)
    /// `conclusion` follows from `cause` and `otherCause`; the conclusion is worded as in the explanation, such as
    /// `a@1.0.0 is incompatible with b@1.0.0` or `version solving failed`.
    case derived(conclusion: String, cause: Derivation, otherCause: Derivation)
    /// `conclusion`, derived in full earlier in the tree, and in the explanation on the line numbered `line`:
    /// `(3)`.
    case reference(conclusion: String, line: Int)
}

/// A fact a failure rests on.
public enum ResolutionFact: Sendable, Hashable, CustomStringConvertible {
    /// The install requires `package` in `range`.
    case installRequires(package: String, range: VersionRange)
    /// `dependent` depends on `package` in `range`.
    case dependency(dependent: PackageVersion, package: String, range: VersionRange)
    /// `package` is pinned at `version`.
    case pinned(package: String, version: SemanticVersion)
    /// None of the versions of `package` the other facts allow is left.
    case noVersions(package: String)
    /// The versions of a dependency cycle cannot all be chosen: the cycle has no install order.
    case dependencyCycle(DependencyCycle)

    /// The fact in words, such as `a@1.0.0 depends on c ^2.0.0`.
    public var description: String {
        switch self {
        case .installRequires(let package, let range): "the install requires \(package) \(range)"
        case .dependency(let dependent, let package, let range): "\(dependent) depends on \(package) \(range)"
        case .pinned(let package, let version): "\(package) is pinned at \(version)"
        case .noVersions(let package): "no version of \(package) is left"
        case .dependencyCycle(let cycle): "the dependency cycle \(cycle) cannot be installed in order"
        }
    }
}
