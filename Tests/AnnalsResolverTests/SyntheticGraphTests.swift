import Testing

@testable import AnnalsResolver

/// A seeded catalog of `count` packages, each at 1.0.0, 1.1.0, 2.0.0, 2.1.0 and 3.0.0-beta.1: package `i` depends
/// on `i + 1` (a chain as deep as the catalog) and on three packages a little further on (many diamonds), with
/// ranges its newest release admits.
private func syntheticCatalog(count: Int, seed: UInt64) -> PackageCatalog {
    var state = seed
    func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
    let name = { (index: Int) in "p\(index)" }
    let ranges = ["^2.0.0", ">=1.1.0", "2.x", "~2.1.0", "^1.0.0 || ^2.0.0"].map { try! VersionRange(parsing: $0) }
    let old = try! VersionRange(parsing: "^1.0.0")
    var catalog = PackageCatalog()
    for index in 0..<count {
        var targets: Set<Int> = []
        if index + 1 < count { targets.insert(index + 1) }
        for _ in 0..<3 where index + 2 < count { targets.insert(index + 2 + next(min(40, count - index - 2))) }
        for text in ["1.0.0", "1.1.0", "2.0.0", "2.1.0", "3.0.0-beta.1"] {
            let version = try! SemanticVersion(parsing: text)
            var dependencies: [String: VersionRange] = [:]
            for target in targets { dependencies[name(target)] = version.major >= 2 ? ranges[next(ranges.count)] : old }
            catalog.add(name(index), version, dependencies: dependencies)
        }
    }
    return catalog
}

@Suite("Resolver on a synthetic 2,000-package graph")
struct SyntheticGraphTests {
    @Test("every chosen version satisfies every requirement of the chosen set, in topological order")
    func solvesLargeGraph() throws {
        let catalog = syntheticCatalog(count: 2_000, seed: 42)
        let request = ResolutionRequest(requirements: ["p0": try VersionRange(parsing: "^2.0.0")])
        let clock = ContinuousClock()
        let start = clock.now
        let resolution = try DependencyResolver(provider: catalog).resolve(request)
        let elapsed = clock.now - start
        #expect(resolution.versions.count == 2_000)
        #expect(resolution.versions.values.allSatisfy { $0.description == "2.1.0" })
        var position: [String: Int] = [:]
        for (offset, package) in resolution.installOrder.enumerated() { position[package.name] = offset }
        for package in resolution.installOrder {
            for (dependency, range) in catalog.dependencies(of: package.name, at: package.version) {
                let chosen = try #require(resolution.versions[dependency])
                #expect(range.contains(chosen))
                #expect(position[dependency]! < position[package.name]!)
            }
        }
        #expect(try DependencyResolver(provider: catalog).resolve(request) == resolution)
        print("synthetic 2,000-package resolution (debug build): \(elapsed)")
    }

    @Test("a conflict deep in the graph backtracks to older versions where it must")
    func deepConflict() throws {
        var catalog = syntheticCatalog(count: 300, seed: 7)
        catalog.add("p299", try SemanticVersion(parsing: "2.1.0"), dependencies: ["blocker": .any])
        catalog.add("p299", try SemanticVersion(parsing: "2.0.0"), dependencies: ["blocker": .any])
        let request = ResolutionRequest(requirements: ["p0": .any])
        let resolution = try DependencyResolver(provider: catalog).resolve(request)
        #expect(resolution.versions["p299"]?.major == 1)
        for package in resolution.installOrder {
            for (dependency, range) in catalog.dependencies(of: package.name, at: package.version) {
                #expect(range.contains(try #require(resolution.versions[dependency])))
            }
        }
    }
}
