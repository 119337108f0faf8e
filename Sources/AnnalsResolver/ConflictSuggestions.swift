/// Concrete ways out of a failed resolution, read off the facts it rests on: unpin a package, fix an unknown name,
/// relax a requirement that clashes with another, or request an older version of a package that accepts what the
/// other side needs.
struct ConflictSuggestions {
    /// The packages, for names, versions and the provider.
    let table: PackageTable
    /// Every incompatibility the solver learned.
    let incompatibilities: [Incompatibility]

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

    /// The suggestions for a failure resting on the external incompatibilities `external`, without repeats.
    func suggestions(for external: [Int]) -> [String] {
        var result: [String] = []
        func add(_ text: String) { if !result.contains(text) { result.append(text) } }
        var edges: [Edge] = []
        for index in external {
            switch incompatibilities[index].cause {
            case .pinned(let package, let version):
                add("unpin \(table.entries[package].name) (pinned at \(version))")
            case .dependency(let dependent, let version, let dependency, let range):
                edges.append(Edge(dependent: dependent, version: version, dependency: dependency, range: range))
            default: break
            }
        }
        for edge in edges {
            let entry = table.entries[edge.dependency]
            if !entry.isKnown {
                // An unavailable package's remedy is the provider's to give; a misspelt name is never the cause.
                if entry.unavailability == nil {
                    add("check the name \"\(entry.name)\" required by \(requirer(edge)): no such package is known")
                }
            } else if !entry.versions.contains(where: { edge.range.contains($0) }) {
                add("relax the requirement on \(entry.name) in \(requirer(edge)): \(edge.range) matches no version")
            }
        }
        for (offset, first) in edges.enumerated() {
            for second in edges[(offset + 1)...] where first.dependency == second.dependency {
                let name = table.entries[first.dependency].name
                guard disjoint(first, second) else { continue }
                for (edge, other) in [(second, first), (first, second)] where edge.dependent != PackageTable.root {
                    add("relax the requirement on \(name) in \(table.entries[edge.dependent].name)")
                    if let alternative = alternative(to: edge, accepting: other) { add(alternative) }
                }
            }
        }
        if result.isEmpty { add("relax one of the requirements above") }
        return result
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

    /// `a@0.9.0 accepts c ^1.0.0 — request a@^0.9.0`: the newest other version of `edge`'s dependent whose own
    /// requirement on the dependency (or lack of one) fits `other`'s range.
    private func alternative(to edge: Edge, accepting other: Edge) -> String? {
        let dependent = table.entries[edge.dependent]
        let name = table.entries[edge.dependency].name
        let wanted = table.entries[edge.dependency].versions.filter { other.range.contains($0) }
        for version in dependent.versions.reversed() where version != dependent.versions[edge.version] {
            let ranges = table.provider.dependencies(of: dependent.name, at: version)
            guard let range = ranges[name] else {
                return "\(dependent.name)@\(version) does not depend on \(name) — request \(dependent.name)@^\(version)"
            }
            if wanted.contains(where: { range.contains($0) }) {
                return
                    "\(dependent.name)@\(version) accepts \(name) \(other.range) — request \(dependent.name)@^\(version)"
            }
        }
        return nil
    }
}
