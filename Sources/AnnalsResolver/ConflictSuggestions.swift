/// Concrete ways out of a failed resolution, read off the facts it rests on: unpin a package, fix an unknown name,
/// relax a requirement that matches nothing or clashes with another, or request another version of a package that
/// accepts what the other side needs.
///
/// A suggestion is given only if it works: each one that changes the request or a requirement is tried first (the
/// request resolved again with the change, see ``SuggestionTrials``) and dropped when that fails or the trials run
/// out. A version the failure's derivation proves cannot be installed, or a request no looser than the one that
/// failed, is not even tried. Checking an unknown name is the only suggestion given untried. Ruled-out dependency
/// cycles suggest nothing of their own.
struct ConflictSuggestions {
    /// The packages, for names, versions and the provider.
    let table: PackageTable
    /// Every incompatibility the solver learned.
    let incompatibilities: [Incompatibility]
    /// The failed request, and the trials of changes to it.
    var trials: SuggestionTrials

    /// Suggestions for a failure of a solver with `table` and `incompatibilities`, tried with `trials`.
    init(table: PackageTable, incompatibilities: [Incompatibility], trials: SuggestionTrials) {
        self.table = table
        self.incompatibilities = incompatibilities
        self.trials = trials
    }

    /// The most versions of one package tried as another version to request.
    static let alternativesTried = 3
    /// ``provenImpossible(_:failure:)`` of each package asked about, by package index.
    private var impossibleVersions: [Int: VersionBitSet] = [:]

    /// One dependency fact: who depends on what, with which range and which versions that allows.
    private struct Edge {
        /// The dependent's package index (the root for the install).
        let dependent: Int
        /// The dependent's version index.
        let version: Int
        /// The dependency's package index.
        let dependency: Int
        /// The range asked for.
        let range: VersionRange
    }

    /// The suggestions for the failure ending with incompatibility `failure`, which rests on the external
    /// incompatibilities `external`, without repeats; empty when none works.
    mutating func suggestions(failure: Int, external: [Int]) -> [String] {
        var result: [String] = []
        var edges: [Edge] = []
        for index in external {
            switch incompatibilities[index].cause {
            case .pinned(let package, let version):
                let name = table.entries[package].name
                offer("unpin \(name) (pinned at \(version))", trying: .unpin(package: name), into: &result)
            case .dependency(let dependent, let version, let dependency, let range):
                edges.append(Edge(dependent: dependent, version: version, dependency: dependency, range: range))
            default: break
            }
        }
        for edge in edges {
            let entry = table.entries[edge.dependency]
            let matchesNothing = !entry.versions.contains { edge.range.contains($0) }
            if !entry.isKnown {
                // An unavailable package's remedy is the provider's to give; a misspelt name is never the cause.
                if entry.unavailability == nil {
                    offer(
                        "check the name \"\(entry.name)\" required by \(requirer(edge)): no such package is known",
                        trying: nil, into: &result)
                }
            } else if matchesNothing, let every = everyVersion(of: entry) {
                let change: SuggestedChange =
                    edge.dependent == PackageTable.root
                    ? .request(package: entry.name, range: every)
                    : .relax(
                        dependency: entry.name, dependent: table.entries[edge.dependent].name,
                        version: table.entries[edge.dependent].versions[edge.version], range: every)
                offer(
                    "relax the requirement on \(entry.name) in \(requirer(edge)): \(edge.range) matches no version",
                    trying: change, into: &result)
            }
        }
        // The positions of the edges to each dependency: pairs of edges to the same one, without comparing every pair.
        var positions: [Int: [Int]] = [:]
        for (offset, edge) in edges.enumerated() { positions[edge.dependency, default: []].append(offset) }
        for (offset, first) in edges.enumerated() {
            for position in positions[first.dependency]! where position > offset {
                let second = edges[position]
                let dependency = table.entries[first.dependency]
                guard disjoint(first, second), let every = everyVersion(of: dependency) else { continue }
                for (edge, other) in [(second, first), (first, second)] where edge.dependent != PackageTable.root {
                    let dependent = table.entries[edge.dependent].name
                    offer(
                        "relax the requirement on \(dependency.name) in \(dependent)",
                        trying: .relax(dependency: dependency.name, dependent: dependent, version: nil, range: every),
                        into: &result)
                    if let alternative = alternative(to: edge, accepting: other, failure: failure) {
                        offer(alternative, trying: nil, into: &result)
                    }
                }
            }
        }
        return result
    }

    /// Adds `text` unless it is there already or `change` (when given) does not resolve.
    private mutating func offer(_ text: String, trying change: SuggestedChange?, into result: inout [String]) {
        guard !result.contains(text) else { return }
        if let change, !trials.resolves(change) { return }
        result.append(text)
    }

    /// `the install` or `name@version`.
    private func requirer(_ edge: Edge) -> String {
        edge.dependent == PackageTable.root
            ? "the install" : table.packageVersion(edge.dependent, edge.version).description
    }

    /// Whether two requirements on the same package share no known version.
    private func disjoint(_ first: Edge, _ second: Edge) -> Bool {
        !table.entries[first.dependency].versions.contains { first.range.contains($0) && second.range.contains($0) }
    }

    /// A range holding every known version of `entry`, prereleases too: what a relaxed requirement accepts when it is
    /// tried; `nil` for a package without versions.
    private func everyVersion(of entry: PackageTable.Entry) -> VersionRange? {
        guard !entry.versions.isEmpty else { return nil }
        return try? VersionRange(
            parsing: entry.versions.map { VersionRange.exactly($0).description }.joined(separator: " || "))
    }

    /// `a@0.9.0 accepts c ^1.0.0 — request a@^0.9.0`: the newest other version of `edge`'s dependent whose own
    /// requirement on the dependency (or lack of one) fits `other`'s range, that the failure does not prove cannot be
    /// installed, whose request is looser than the one that failed, and with which the request resolves.
    private mutating func alternative(to edge: Edge, accepting other: Edge, failure: Int) -> String? {
        let dependent = table.entries[edge.dependent]
        let name = table.entries[edge.dependency].name
        let wanted = table.entries[edge.dependency].versions.filter { other.range.contains($0) }
        let impossible =
            impossibleVersions[edge.dependent]
            ?? provenImpossible(edge.dependent, failure: failure)
        impossibleVersions[edge.dependent] = impossible
        let requested = trials.request.requirements[dependent.name]
        var tried = 0
        for index in dependent.versions.indices.reversed() where index != edge.version && !impossible.contains(index) {
            let version = dependent.versions[index]
            let reason: String
            if let range = table.provider.dependencies(of: dependent.name, at: version)[name] {
                guard wanted.contains(where: { range.contains($0) }) else { continue }
                reason = "\(dependent.name)@\(version) accepts \(name) \(other.range)"
            } else {
                reason = "\(dependent.name)@\(version) does not depend on \(name)"
            }
            guard let request = try? VersionRange(parsing: "^\(version)") else { continue }
            // A request admitting only versions the failed one admits fails too.
            if let requested, dependent.versions.allSatisfy({ !request.contains($0) || requested.contains($0) }) {
                continue
            }
            guard tried < Self.alternativesTried else { return nil }
            tried += 1
            if trials.resolves(.request(package: dependent.name, range: request)) {
                return "\(reason) — request \(dependent.name)@\(request)"
            }
        }
        return nil
    }

    /// The versions of `package` that the derivation of `failure` proves cannot be installed whatever the install
    /// requests of `package`: those of each incompatibility in it that is about `package` alone ("`package` at these
    /// versions cannot be installed") and does not rest on the install's requirement on `package`.
    private func provenImpossible(_ package: Int, failure: Int) -> VersionBitSet {
        // Whether each incompatibility of the derivation rests on the install's requirement on `package`, worked out
        // children first, without recursion (a derivation can be deep).
        var restsOnRequest: [Int: Bool] = [:]
        var pending = [(index: failure, childrenDone: false)]
        while let (index, childrenDone) = pending.popLast() {
            guard restsOnRequest[index] == nil else { continue }
            switch incompatibilities[index].cause {
            case .conflict(let first, let second):
                if childrenDone {
                    restsOnRequest[index] = restsOnRequest[first]! || restsOnRequest[second]!
                } else {
                    pending += [(index, true), (first, false), (second, false)]
                }
            case .dependency(let dependent, _, let dependency, _):
                restsOnRequest[index] = dependent == PackageTable.root && dependency == package
            default: restsOnRequest[index] = false
            }
        }
        var impossible = VersionBitSet(empty: table.entries[package].stateCount)
        for (index, rests) in restsOnRequest where !rests {
            let terms = incompatibilities[index].terms
            if terms.count == 1, terms[0].package == package, terms[0].isPositive {
                impossible = impossible.union(terms[0].versions)
            }
        }
        return impossible
    }
}
