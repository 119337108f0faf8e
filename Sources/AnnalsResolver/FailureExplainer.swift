/// Turns the incompatibility a failed solve ends with into a ``ResolutionError``: the derivation tree, the facts,
/// the numbered explanation PubGrub's error reporting writes, and suggestions.
struct FailureExplainer {
    /// The packages, for names, versions and range labels.
    let table: PackageTable
    /// Every incompatibility the solver learned.
    let incompatibilities: [Incompatibility]
    /// How many times each derived incompatibility is used in the derivation, by index.
    private var derivations: [Int: Int] = [:]
    /// The line number given to each incompatibility written on a numbered line.
    private var lineNumbers: [Int: Int] = [:]
    /// The explanation's lines, each with its number if it has one; `("", nil)` separates paragraphs.
    private var lines: [(text: String, number: Int?)] = []

    /// The most lines an explanation shows (suggestions aside): a longer one keeps its first and last
    /// ``keptLines`` lines, with a line between saying how many are left out.
    static let maximumLines = 2 * keptLines
    /// The lines a long explanation keeps at each end.
    static let keptLines = 30
    /// The most characters a line of an explanation shows: a longer one is cut, saying how many are left out.
    static let maximumLineLength = 500

    /// An explainer over a solver's state.
    init(table: PackageTable, incompatibilities: [Incompatibility]) {
        self.table = table
        self.incompatibilities = incompatibilities
    }

    /// The error for the failure ending with incompatibility `failure`.
    /// - Parameters:
    ///   - failure: The index of the incompatibility the failed solve ended with.
    ///   - trials: The failed request and its provider, to try suggestions with before making them.
    mutating func error(for failure: Int, trials: SuggestionTrials) -> ResolutionError {
        countDerivations(failure)
        if case .conflict = incompatibilities[failure].cause {
            visit(failure)
        } else {
            write(failure, "Because \(string(failure)), version solving failed.", numbered: false)
        }
        var facts: [ResolutionFact] = []
        var seenFacts: Set<ResolutionFact> = []
        let external = collectExternal(failure)
        for index in external {
            let fact = self.fact(index)
            if seenFacts.insert(fact).inserted { facts.append(fact) }
        }
        var suggester = ConflictSuggestions(table: table, incompatibilities: incompatibilities, trials: trials)
        let suggestions = suggester.suggestions(failure: failure, external: external)
        var text = Self.shortened(lines.map { line in line.number.map { "(\($0)) " + line.text } ?? line.text })
            .joined(separator: "\n")
        if !suggestions.isEmpty {
            text += "\n\nSuggestions:\n" + suggestions.map { "- " + $0 }.joined(separator: "\n")
        }
        var expanded: Set<Int> = []
        let report = ConflictReport(
            derivation: derivation(failure, expanded: &expanded), facts: facts, suggestions: suggestions,
            explanation: text)
        for index in external {
            guard
                case .dependency(let dependent, let version, let dependency, let range) = incompatibilities[index].cause
            else { continue }
            let requirement = Requirement(requirer: requirer(dependent, version), range: range)
            let entry = table.entries[dependency]
            if !entry.isKnown {
                return .unknownPackage(name: entry.name, requiredBy: requirement, report: report)
            }
        }
        for index in external {
            guard
                case .dependency(let dependent, let version, let dependency, let range) = incompatibilities[index].cause
            else { continue }
            let entry = table.entries[dependency]
            if !entry.versions.contains(where: { range.contains($0) }) {
                return .noMatchingVersion(
                    name: entry.name, available: entry.versions,
                    requiredBy: Requirement(requirer: requirer(dependent, version), range: range), report: report)
            }
        }
        let cycles = external.compactMap { index -> DependencyCycle? in
            guard case .cycle = incompatibilities[index].cause else { return nil }
            return cycle(index)
        }
        return cycles.isEmpty ? .unsatisfiable(report) : .dependencyCycle(cycles: cycles, report: report)
    }

    /// The dependency cycle an incompatibility of cause ``Incompatibility/Cause/cycle(packages:)`` rules out, each
    /// package with the versions that close it.
    func cycle(_ index: Int) -> DependencyCycle {
        guard case .cycle(let packages) = incompatibilities[index].cause else {
            preconditionFailure("incompatibility \(index) does not rule out a cycle")
        }
        // Every package of a ruled-out cycle keeps a positive term: the version the cycle was found at is in it.
        let versions = packages.map { incompatibilities[index].term(for: $0)!.versions }
        let links = zip(packages, versions).map { describe($0, $1) }
        return DependencyCycle(
            packages: packages.map { table.entries[$0].name },
            versions: zip(packages, versions).map { package, closing in
                closing.indices.map { table.entries[package].versions[$0] }
            },
            description: (links + [links[0]]).joined(separator: " → "))
    }

    /// Who a dependency incompatibility's dependent is: the install for the root.
    private func requirer(_ package: Int, _ version: Int) -> Requirement.Requirer {
        package == PackageTable.root ? .install : .package(table.packageVersion(package, version))
    }

    /// The lines of an explanation as shown: at most ``maximumLines`` (the first and last ``keptLines``, around
    /// `… N more lines …`), each at most ``maximumLineLength`` characters (then `… (N more characters)`).
    static func shortened(_ lines: [String]) -> [String] {
        var shown = lines
        if lines.count > maximumLines {
            shown =
                lines.prefix(keptLines) + ["… \(lines.count - 2 * keptLines) more lines …"] + lines.suffix(keptLines)
        }
        return shown.map { line in
            let length = line.count
            guard length > maximumLineLength else { return line }
            return line.prefix(maximumLineLength) + "… (\(length - maximumLineLength) more characters)"
        }
    }

    /// The two causes of a derived incompatibility, or `nil` for an external one.
    private func causes(_ index: Int) -> (Int, Int)? {
        if case .conflict(let first, let second) = incompatibilities[index].cause { return (first, second) }
        return nil
    }

    /// Whether an incompatibility was derived rather than given.
    private func isDerived(_ index: Int) -> Bool { causes(index) != nil }

    /// Counts how often each derived incompatibility is used, visiting each one's causes once.
    private mutating func countDerivations(_ index: Int) {
        derivations[index, default: 0] += 1
        guard derivations[index] == 1, let (first, second) = causes(index) else { return }
        countDerivations(first)
        countDerivations(second)
    }

    /// The external incompatibilities under `index`, left to right, each once. A derived incompatibility used more
    /// than once is walked through once: the derivation is a graph, whose paths can be exponentially many.
    private func collectExternal(_ index: Int) -> [Int] {
        var result: [Int] = []
        var seen: Set<Int> = []
        var pending = [index]
        while let current = pending.popLast() {
            guard seen.insert(current).inserted else { continue }
            if let (first, second) = causes(current) {
                pending += [second, first]
            } else {
                result.append(current)
            }
        }
        return result
    }

    /// The derivation tree under `index`, causes first, left to right: a derived incompatibility already in
    /// `expanded` (met again, as a cause of another step) becomes a ``Derivation/reference(conclusion:line:)`` to its
    /// numbered line of the explanation instead of being derived again.
    private func derivation(_ index: Int, expanded: inout Set<Int>) -> Derivation {
        guard let (first, second) = causes(index) else { return .fact(fact(index)) }
        // A derived incompatibility used more than once always has a numbered line (``visit(_:conclusion:)``).
        if expanded.contains(index), let line = lineNumbers[index] {
            return .reference(conclusion: string(index), line: line)
        }
        expanded.insert(index)
        let cause = derivation(first, expanded: &expanded)
        let otherCause = derivation(second, expanded: &expanded)
        return .derived(conclusion: string(index), cause: cause, otherCause: otherCause)
    }

    /// Writes the lines explaining a derived incompatibility, as PubGrub's error reporting does.
    private mutating func visit(_ index: Int, conclusion: Bool = false) {
        let numbered = conclusion || (derivations[index] ?? 0) > 1
        let text = string(index)
        guard let (conflict, other) = causes(index) else { return }
        if isDerived(conflict) && isDerived(other) {
            let conflictLine = lineNumbers[conflict]
            let otherLine = lineNumbers[other]
            if let conflictLine, let otherLine {
                write(
                    index,
                    "Because \(string(conflict)) (\(conflictLine)) and \(string(other)) (\(otherLine)), \(text).",
                    numbered: numbered)
            } else if conflictLine != nil || otherLine != nil {
                let (withLine, withoutLine) = conflictLine != nil ? (conflict, other) : (other, conflict)
                visit(withoutLine)
                write(
                    index, "And because \(string(withLine)) (\(lineNumbers[withLine]!)), \(text).", numbered: numbered)
            } else if isSingleLine(conflict) || isSingleLine(other) {
                let (first, second) = isSingleLine(other) ? (conflict, other) : (other, conflict)
                visit(first)
                visit(second)
                write(index, "Thus, \(text).", numbered: numbered)
            } else {
                visit(conflict, conclusion: true)
                lines.append(("", nil))
                visit(other)
                write(
                    index, "And because \(string(conflict)) (\(lineNumbers[conflict]!)), \(text).", numbered: numbered)
            }
        } else if isDerived(conflict) || isDerived(other) {
            let (derived, external) = isDerived(conflict) ? (conflict, other) : (other, conflict)
            if let line = lineNumbers[derived] {
                write(
                    index, "Because \(string(external)) and \(string(derived)) (\(line)), \(text).", numbered: numbered)
            } else if isCollapsible(derived), let (inner, innerOther) = causes(derived) {
                let (collapsedDerived, collapsedExternal) = isDerived(inner) ? (inner, innerOther) : (innerOther, inner)
                visit(collapsedDerived)
                write(
                    index, "And because \(both(collapsedExternal, external)), \(text).", numbered: numbered)
            } else {
                visit(derived)
                write(index, "And because \(string(external)), \(text).", numbered: numbered)
            }
        } else {
            write(index, "Because \(both(conflict, other)), \(text).", numbered: numbered)
        }
    }

    /// Whether both causes of a derived incompatibility are external.
    private func isSingleLine(_ index: Int) -> Bool {
        guard let (first, second) = causes(index) else { return false }
        return !isDerived(first) && !isDerived(second)
    }

    /// Whether a derived incompatibility used once, from one derived and one external cause, can be folded into
    /// the sentence that uses it.
    private func isCollapsible(_ index: Int) -> Bool {
        guard (derivations[index] ?? 0) <= 1, let (first, second) = causes(index) else { return false }
        guard isDerived(first) != isDerived(second) else { return false }
        return lineNumbers[isDerived(first) ? first : second] == nil
    }

    /// Adds a line, numbered when `numbered`.
    private mutating func write(_ index: Int, _ text: String, numbered: Bool) {
        if numbered {
            let number = lineNumbers.count + 1
            lineNumbers[index] = number
            lines.append((text, number))
        } else {
            lines.append((text, nil))
        }
    }

    /// Two external facts joined with "and", sharing their subject: `the install requires a ^1.0.0 and b ^1.0.0`.
    private func both(_ first: Int, _ second: Int) -> String {
        let left = string(first)
        let right = string(second)
        // After a clause of its own (`…, which is not a known package`), the second fact takes a comma too.
        let and = left.contains(", which ") ? ", and " : " and "
        for subject in ["the install requires ", dependentPrefix(first)] where !subject.isEmpty {
            if left.hasPrefix(subject) && right.hasPrefix(subject) {
                return left + and + right.dropFirst(subject.count)
            }
        }
        return left + and + right
    }

    /// `a@1.0.0 depends on ` for a dependency incompatibility, else empty.
    private func dependentPrefix(_ index: Int) -> String {
        guard case .dependency(let dependent, let version, _, _) = incompatibilities[index].cause,
            dependent != PackageTable.root
        else { return "" }
        return "\(table.packageVersion(dependent, version)) depends on "
    }

    /// The fact behind an external incompatibility.
    private func fact(_ index: Int) -> ResolutionFact {
        switch incompatibilities[index].cause {
        case .dependency(let dependent, let version, let dependency, let range):
            let name = table.entries[dependency].name
            return dependent == PackageTable.root
                ? .installRequires(package: name, range: range)
                : .dependency(dependent: table.packageVersion(dependent, version), package: name, range: range)
        case .pinned(let package, let version): return .pinned(package: table.entries[package].name, version: version)
        case .noVersions(let package): return .noVersions(package: table.entries[package].name)
        case .cycle: return .dependencyCycle(cycle(index))
        case .root, .conflict: return .noVersions(package: "")
        }
    }

    /// An incompatibility in words: an external fact (with what is wrong with an unknown or unmatched dependency),
    /// or a derived conclusion such as `a@1.0.0 is incompatible with b@1.0.0`.
    func string(_ index: Int) -> String {
        let incompatibility = incompatibilities[index]
        switch incompatibility.cause {
        case .dependency(_, _, let dependency, let range):
            let entry = table.entries[dependency]
            if !entry.isKnown {
                return fact(index).description
                    + (entry.unavailability.map { ", which is \($0)" } ?? ", which is not a known package")
            }
            if !entry.versions.contains(where: { range.contains($0) }) {
                let available =
                    entry.versions.isEmpty
                    ? "none" : entry.versions.map(\.description).joined(separator: ", ")
                return fact(index).description + ", which matches no version of \(entry.name) (available: \(available))"
            }
            return fact(index).description
        case .pinned, .noVersions, .cycle: return fact(index).description
        case .root: return "the install is requested"
        case .conflict: return conclusion(incompatibility.terms)
        }
    }

    /// A derived incompatibility's terms in words.
    private func conclusion(_ terms: [Term]) -> String {
        if terms.isEmpty || (terms.count == 1 && terms[0].package == PackageTable.root && terms[0].isPositive) {
            return "version solving failed"
        }
        let positive = terms.filter(\.isPositive).map { describe($0.package, $0.versions) }
        let negative = terms.filter { !$0.isPositive }.map { describe($0.package, $0.negated.versions) }
        switch (positive.count, negative.count) {
        case (1, 0): return "\(positive[0]) cannot be installed"
        case (0, 1): return "\(negative[0]) is required"
        case (2, 0): return "\(positive[0]) is incompatible with \(positive[1])"
        case (0, _): return "one of " + list(negative, conjunction: "or") + " is required"
        case (_, 0): return list(positive, conjunction: "and") + " are incompatible"
        case (1, _): return "\(positive[0]) requires " + list(negative, conjunction: "or")
        default: return "if " + list(positive, conjunction: "and") + " then " + list(negative, conjunction: "or")
        }
    }

    /// `a, b and c`.
    private func list(_ items: [String], conjunction: String) -> String {
        items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " \(conjunction) " + items.last!
    }

    /// A package and a set of its versions in words: `a@1.0.0`, `c ^2.0.0` (a range asked for with exactly these
    /// versions), `c >=1.0.0 <=1.4.0`, or a list.
    func describe(_ package: Int, _ versions: VersionBitSet) -> String {
        let entry = table.entries[package]
        if package == PackageTable.root { return "the install" }
        let indices = versions.indices
        if indices.count == 1 { return "\(entry.name)@\(entry.versions[indices[0]])" }
        if let label = entry.labels[versions] { return "\(entry.name) \(label)" }
        if indices.count == entry.versions.count { return "any version of \(entry.name)" }
        guard let first = indices.first, let last = indices.last else { return "no version of \(entry.name)" }
        if last - first + 1 == indices.count {
            if first == 0 { return "\(entry.name) <=\(entry.versions[last])" }
            if last == entry.versions.count - 1 { return "\(entry.name) >=\(entry.versions[first])" }
            return "\(entry.name) >=\(entry.versions[first]) <=\(entry.versions[last])"
        }
        return "\(entry.name) " + list(indices.map { entry.versions[$0].description }, conjunction: "or")
    }
}
