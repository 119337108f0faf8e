import Testing

@testable import AnnalsResolver

/// SplitMix64: a small seeded generator, so every run draws the same registries.
private struct SeededGenerator: RandomNumberGenerator {
    /// The state, advanced on every draw.
    var state: UInt64

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// A random registry of 2 to 5 packages with 1 to 4 versions each, and a request on it.
private struct SmallRegistry: CustomStringConvertible {
    /// The ranges dependencies and requests draw from; `^3.0.0` matches no version.
    static let ranges = ["^1.0.0", "^2.0.0", "*", "1.1.0", ">=1.1.0", "~2.1.0", "^1.0.0 || ^2.0.0", "^3.0.0"]
    /// The versions packages draw from.
    static let versions = ["1.0.0", "1.1.0", "2.0.0", "2.1.0"]

    /// The packages, versions and dependencies.
    var catalog: PackageCatalog
    /// What to resolve.
    var request: ResolutionRequest

    /// Draws a registry: each version depends on each other package with probability 3/10 (on its own package
    /// with probability 1/20), and the request asks for one or two packages, sometimes with a pin.
    init(using generator: inout SeededGenerator) throws {
        let names = (0..<Int.random(in: 2...5, using: &generator)).map { "p\($0)" }
        catalog = PackageCatalog()
        for name in names {
            for version in Self.versions.shuffled(using: &generator).prefix(Int.random(in: 1...4, using: &generator)) {
                var dependencies: [String: String] = [:]
                for other in names where Int.random(in: 0..<20, using: &generator) < (other == name ? 1 : 6) {
                    dependencies[other] = Self.ranges.randomElement(using: &generator)!
                }
                try catalog.add(name, version, dependencies: dependencies)
            }
        }
        var requirements: [String: VersionRange] = [:]
        for name in names.shuffled(using: &generator).prefix(Int.random(in: 1...2, using: &generator)) {
            requirements[name] = try VersionRange(parsing: Self.ranges.randomElement(using: &generator)!)
        }
        var locked: [String: SemanticVersion] = [:]
        if Int.random(in: 0..<5, using: &generator) == 0, let name = names.randomElement(using: &generator) {
            locked[name] = catalog.versions(of: name)!.randomElement(using: &generator)!
        }
        request = ResolutionRequest(requirements: requirements, locked: locked)
    }

    /// The catalog and request, for failure messages.
    var description: String {
        let packages = catalog.packages.keys.sorted().map { name in
            let versions = catalog.packages[name]!.keys.sorted().map { version in
                let dependencies = catalog.packages[name]![version]!.sorted { $0.key < $1.key }
                return "\(version) → [" + dependencies.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "]"
            }
            return "\(name): " + versions.joined(separator: "; ")
        }
        return packages.joined(separator: "\n") + "\nrequest: \(request.requirements) locked: \(request.locked)"
    }

    /// Whether some choice of versions satisfies the request and every dependency, with no dependency cycle:
    /// tries every choice (each package at one of its versions or not chosen).
    func hasCycleFreeSolution() -> Bool {
        let names = catalog.packages.keys.sorted()
        let versions = names.map { catalog.versions(of: $0)! }
        var choice = Array(repeating: 0, count: names.count)
        while true {
            var chosen: [String: SemanticVersion] = [:]
            for (offset, name) in names.enumerated() where choice[offset] < versions[offset].count {
                chosen[name] = versions[offset][choice[offset]]
            }
            if isCycleFreeSolution(chosen) { return true }
            var position = 0
            while position < names.count {
                choice[position] += 1
                if choice[position] <= versions[position].count { break }
                choice[position] = 0
                position += 1
            }
            if position == names.count { return false }
        }
    }

    /// Whether `chosen` satisfies the request, the pins and every dependency of a chosen version, with no cycle.
    func isCycleFreeSolution(_ chosen: [String: SemanticVersion]) -> Bool {
        for (name, range) in request.requirements {
            guard let version = chosen[name], range.contains(version) else { return false }
        }
        for (name, version) in request.locked where chosen[name].map({ $0 != version }) ?? false { return false }
        for (name, version) in chosen {
            for (dependency, range) in catalog.dependencies(of: name, at: version) {
                guard let chosenDependency = chosen[dependency], range.contains(chosenDependency) else { return false }
            }
        }
        var finished: Set<String> = []
        var onPath: Set<String> = []
        func closesCycle(_ name: String) -> Bool {
            if finished.contains(name) { return false }
            if !onPath.insert(name).inserted { return true }
            for dependency in catalog.dependencies(of: name, at: chosen[name]!).keys where closesCycle(dependency) {
                return true
            }
            onPath.remove(name)
            finished.insert(name)
            return false
        }
        return !chosen.keys.contains(where: closesCycle)
    }

    /// The registry and request with a suggestion applied, or `nil` for a suggestion of an unknown form.
    func applying(_ suggestion: String) throws -> SmallRegistry? {
        var changed = self
        if suggestion.hasPrefix("unpin ") {
            let name = String(suggestion.dropFirst("unpin ".count).prefix { $0 != " " })
            guard changed.request.locked.removeValue(forKey: name) != nil else { return nil }
        } else if let marker = suggestion.range(of: " — request ") {
            let target = suggestion[marker.upperBound...]
            guard let at = target.firstIndex(of: "@") else { return nil }
            changed.request.requirements[String(target[..<at])] = try VersionRange(
                parsing: String(target[target.index(after: at)...]))
        } else if suggestion.hasPrefix("relax the requirement on ") {
            let words = suggestion.dropFirst("relax the requirement on ".count).prefix { $0 != ":" }
                .split(separator: " ", maxSplits: 2).map(String.init)
            guard words.count == 3, words[1] == "in" else { return nil }
            // `in b` relaxes every version of b; `in b@1.0.0` that version only.
            let dependency = words[0]
            let dependent = String(words[2].prefix { $0 != "@" })
            let only =
                words[2].contains("@")
                ? try SemanticVersion(parsing: String(words[2].drop { $0 != "@" }.dropFirst())) : nil
            let every = try VersionRange(
                parsing: catalog.versions(of: dependency)!.map(\.description).joined(separator: " || "))
            if dependent == "the install" {
                changed.request.requirements[dependency] = every
            } else {
                for (version, dependencies) in catalog.packages[dependent] ?? [:]
                where dependencies[dependency] != nil && (only == nil || only == version) {
                    var relaxed = dependencies
                    relaxed[dependency] = every
                    changed.catalog.add(dependent, version, dependencies: relaxed)
                }
            }
        } else {
            return nil
        }
        return changed
    }
}

@Suite("Resolver against brute force on small random registries")
struct RandomRegistryTests {
    @Test("versions without a cycle are found whenever some exist, and every suggestion, applied, resolves")
    func agreesWithBruteForce() throws {
        var generator = SeededGenerator(state: 20_240_611)
        var (solved, failed, suggested) = (0, 0, 0)
        for _ in 0..<400 {
            let registry = try SmallRegistry(using: &generator)
            let outcome: Result<Resolution, ResolutionError>
            do {
                outcome = .success(try DependencyResolver(provider: registry.catalog).resolve(registry.request))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let resolution):
                solved += 1
                #expect(registry.isCycleFreeSolution(resolution.versions), "invalid resolution for\n\(registry)")
            case .failure(let error):
                failed += 1
                guard !registry.hasCycleFreeSolution() else {
                    Issue.record("a solution without a cycle exists, but: \(error.explanation)\nfor\n\(registry)")
                    continue
                }
                for suggestion in report(of: error)?.suggestions ?? [] {
                    suggested += 1
                    guard let changed = try registry.applying(suggestion) else {
                        Issue.record("a suggestion of an unknown form: \(suggestion)")
                        continue
                    }
                    do {
                        _ = try DependencyResolver(provider: changed.catalog).resolve(changed.request)
                    } catch {
                        Issue.record("'\(suggestion)' fails: \(error.explanation)\nfor\n\(registry)")
                    }
                }
            }
        }
        #expect(solved > 50 && failed > 50 && suggested > 20, "\(solved) solved, \(failed) failed, \(suggested)")
    }

    /// The report of a failure, if it has one.
    private func report(of error: ResolutionError) -> ConflictReport? {
        switch error {
        case .unknownPackage(_, _, let report), .noMatchingVersion(_, _, _, let report), .unsatisfiable(let report),
            .dependencyCycle(_, let report):
            report
        case .tooManyCycles, .workBudgetExhausted: nil
        }
    }
}
