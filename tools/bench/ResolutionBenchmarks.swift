import AnnalsResolver

/// `resolve.synthetic2000.p50`: ``DependencyResolver`` (PubGrub) on a seeded catalog of 2,000 plugins, each at five
/// versions (one a prerelease), where plugin `i` depends on `i + 1` (a chain 2,000 deep) and on three plugins a
/// little further on (many diamonds), with npm ranges.
///
/// One untimed resolution warms up; then ``runs`` resolutions are timed, each checked. The informational baseline
/// is a naive greedy resolver in this file over the same catalog: a breadth-first walk from the request that takes
/// the newest version satisfying the first range seen for each plugin, with no backtracking and no conflict
/// checks — what resolving costs without PubGrub's bookkeeping.
enum ResolutionBenchmarks {
    /// The most the median may be, in milliseconds.
    static let p50LimitMilliseconds = 200.0
    /// The plugins in the catalog.
    static let plugins = 2_000
    /// Timed resolutions.
    static let runs = 15

    /// Builds the catalog, times the resolver and the greedy baseline, and records the percentiles.
    /// - Throws: ``ResolutionError`` from the resolver; ``BenchError`` when a resolution comes back wrong.
    static func run(settings: BenchSettings, report: BenchReport) throws {
        let (catalog, building) = timed { syntheticCatalog(count: plugins, seed: settings.seed) }
        let request = ResolutionRequest(requirements: ["p0": try VersionRange(parsing: "^2.0.0")])
        progress("resolve.synthetic2000: \(plugins) plugins built in \(fixedPoint(building * 1_000, decimals: 1)) ms")
        let resolver = DependencyResolver(provider: catalog)
        let expected = try resolver.resolve(request)
        try check(expected, against: catalog)
        let samples = try LatencySamples(
            milliseconds: (0..<runs).map { _ in
                let (resolution, seconds) = try timed { try resolver.resolve(request) }
                guard resolution == expected else {
                    throw BenchError(call: "DependencyResolver.resolve", code: 0, message: "a different resolution")
                }
                return seconds * 1_000
            })
        progress("  PubGrub: \(samples.summary)")
        _ = greedyResolve(request, catalog)
        let baseline = LatencySamples(
            milliseconds: (0..<runs).map { _ in
                let (chosen, seconds) = timed { greedyResolve(request, catalog) }
                precondition(chosen.count == expected.versions.count, "the greedy walk reaches every plugin")
                return seconds * 1_000
            })
        progress("  greedy newest-first walk, no backtracking: \(baseline.summary)")
        report.recordPercentiles(
            "resolve.synthetic2000", samples: samples,
            p50Target: AbsoluteTarget(direction: .atMost, limit: p50LimitMilliseconds, text: "<= 200 ms"),
            baseline: ("greedy resolver, no backtracking", baseline))
    }

    /// Checks that every chosen version satisfies every requirement of the chosen set and the order is topological.
    private static func check(_ resolution: Resolution, against catalog: PackageCatalog) throws {
        var position: [String: Int] = [:]
        for (offset, package) in resolution.installOrder.enumerated() { position[package.name] = offset }
        for package in resolution.installOrder {
            for (dependency, range) in catalog.dependencies(of: package.name, at: package.version) {
                guard let chosen = resolution.versions[dependency], range.contains(chosen),
                    let before = position[dependency], before < position[package.name]!
                else {
                    throw BenchError(
                        call: "DependencyResolver.resolve", code: 0,
                        message: "\(package) needs \(dependency) \(range), which the resolution does not satisfy")
                }
            }
        }
    }

    /// The baseline: breadth-first from the request, the newest version of each plugin satisfying the first range
    /// that reaches it, no backtracking.
    private static func greedyResolve(
        _ request: ResolutionRequest, _ catalog: PackageCatalog
    ) -> [String: SemanticVersion] {
        var chosen: [String: SemanticVersion] = [:]
        var queue = request.requirements.keys.sorted().map { ($0, request.requirements[$0]!) }
        var head = 0
        while head < queue.count {
            let (name, range) = queue[head]
            head += 1
            guard chosen[name] == nil,
                let version = catalog.versions(of: name)?.last(where: { range.contains($0) })
            else { continue }
            chosen[name] = version
            let dependencies = catalog.dependencies(of: name, at: version)
            for dependency in dependencies.keys.sorted() where chosen[dependency] == nil {
                queue.append((dependency, dependencies[dependency]!))
            }
        }
        return chosen
    }

    /// The seeded catalog: `count` plugins `p0`…, each at 1.0.0, 1.1.0, 2.0.0, 2.1.0 and 3.0.0-beta.1; plugin `i`
    /// depends on `i + 1` and on three of the next 40 after that, with ranges its 2.x releases admit.
    static func syntheticCatalog(count: Int, seed: UInt64) -> PackageCatalog {
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let ranges = ["^2.0.0", ">=1.1.0", "2.x", "~2.1.0", "^1.0.0 || ^2.0.0"].map { try! VersionRange(parsing: $0) }
        let old = try! VersionRange(parsing: "^1.0.0")
        let versions = ["1.0.0", "1.1.0", "2.0.0", "2.1.0", "3.0.0-beta.1"].map { try! SemanticVersion(parsing: $0) }
        var catalog = PackageCatalog()
        for index in 0..<count {
            var targets: Set<Int> = []
            if index + 1 < count { targets.insert(index + 1) }
            for _ in 0..<3 where index + 2 < count { targets.insert(index + 2 + next(min(40, count - index - 2))) }
            for version in versions {
                var dependencies: [String: VersionRange] = [:]
                for target in targets.sorted() {
                    dependencies["p\(target)"] = version.major >= 2 ? ranges[next(ranges.count)] : old
                }
                catalog.add("p\(index)", version, dependencies: dependencies)
            }
        }
        return catalog
    }
}
