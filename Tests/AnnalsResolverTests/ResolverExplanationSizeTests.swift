import Testing

@testable import AnnalsResolver

/// The number of steps of a derivation tree, references counted as one step each.
private func stepCount(_ derivation: Derivation) -> Int {
    switch derivation {
    case .fact, .reference: 1
    case .derived(_, let cause, let otherCause): 1 + stepCount(cause) + stepCount(otherCause)
    }
}

/// The references of a derivation tree, left to right.
private func references(_ derivation: Derivation) -> [(conclusion: String, line: Int)] {
    switch derivation {
    case .fact: []
    case .reference(let conclusion, let line): [(conclusion, line)]
    case .derived(_, let cause, let otherCause): references(cause) + references(otherCause)
    }
}

/// The report of the pigeonhole request's failure (``pigeonholeCatalog(holes:)``); `nil`, with an issue recorded,
/// for any other outcome.
private func pigeonholeReport(holes: Int) -> ConflictReport? {
    let error = resolutionError(pigeonholeCatalog(holes: holes), pigeonholeRequest(holes: holes))
    guard case .unsatisfiable(let report) = error else {
        Issue.record("expected unsatisfiable, got \(String(describing: error))")
        return nil
    }
    return report
}

@Suite("Resolver failures that rest on many incompatibilities: shared steps and long explanations")
struct ResolverExplanationSizeTests {
    @Test("a conclusion the derivation uses twice is derived once, then referred to by its numbered line")
    func sharedConclusionIsReferredTo() throws {
        let report = try #require(pigeonholeReport(holes: 2))
        let shared = references(report.derivation)
        #expect(shared.map(\.conclusion) == ["p2 * requires h2@2.0.0 or h1@2.0.0"])
        #expect(shared.map(\.line) == [1])
        #expect(
            report.explanation.contains(
                "(1) Because p2@2.0.0 depends on h2 2.0.0 and p2@1.0.0 depends on h1 2.0.0, p2 * requires h2@2.0.0 or "
                    + "h1@2.0.0."))
    }

    @Test("the derivation tree has a step per use of an incompatibility, not one per path to it")
    func derivationGrowsWithTheIncompatibilities() throws {
        var solver = CycleFreeSolver(
            provider: pigeonholeCatalog(holes: 6), request: pigeonholeRequest(holes: 6), cycleLimit: 100,
            workBudget: 10_000)
        guard case .unsolvable = solver.solve() else {
            Issue.record("the pigeonhole request has no solution")
            return
        }
        let incompatibilities = solver.versionSolver.incompatibilities.count
        let report = try #require(pigeonholeReport(holes: 6))
        // Each derived incompatibility is expanded once, and referred to at each other use: it has two causes.
        #expect(stepCount(report.derivation) <= 2 * incompatibilities + 1)
        #expect(!references(report.derivation).isEmpty)
    }

    @Test("an explanation of thousands of lines keeps its first and last lines and counts the rest")
    func longExplanationIsCut() throws {
        let report = try #require(pigeonholeReport(holes: 8))
        // 974 KB in 3,680 lines before the explanation was cut.
        #expect(report.explanation.utf8.count < 16_000)
        let lines = report.explanation.split(separator: "\n", omittingEmptySubsequences: false)
        let marker = try #require(lines.firstIndex { $0.hasPrefix("… ") && $0.hasSuffix(" more lines …") })
        #expect(marker == FailureExplainer.keptLines)
        #expect(Int(lines[marker].dropFirst(2).prefix { $0.isNumber }) ?? 0 > 1_000)
        #expect(report.explanation.contains("And because the install requires p8 * and p9 *, version solving failed."))
    }

    @Test("a line longer than the limit is cut, saying how many characters are left out")
    func longLineIsCut() {
        let long = String(repeating: "a", count: FailureExplainer.maximumLineLength + 42)
        let lines = (1...(FailureExplainer.maximumLines + 5)).map { "line \($0)" }
        #expect(
            FailureExplainer.shortened(["short", long]) == [
                "short", String(long.prefix(500)) + "… (42 more characters)",
            ])
        #expect(
            FailureExplainer.shortened(Array(lines.prefix(FailureExplainer.maximumLines))) == Array(lines.prefix(60)))
        #expect(
            FailureExplainer.shortened(lines)
                == Array(lines.prefix(30)) + ["… 5 more lines …"] + Array(lines.suffix(30)))
    }

    @Test("a failure at the end of a chain of 4,000 packages is explained back to the request")
    func longChain() throws {
        var catalog = PackageCatalog()
        let count = 4_000
        for index in 0..<count {
            catalog.add(
                "c\(index)", SemanticVersion(1, 0, 0),
                dependencies: ["c\(index + 1)": try VersionRange(parsing: index == count - 1 ? "^3.0.0" : "^1.0.0")])
        }
        catalog.add("c\(count)", SemanticVersion(1, 0, 0))
        let error = try #require(try resolutionError(catalog, ["c0": "*"]))
        guard case .noMatchingVersion(let name, _, _, let report) = error else {
            Issue.record("expected noMatchingVersion, got \(error)")
            return
        }
        #expect(name == "c\(count)")
        #expect(report.facts.count == count + 1)
        #expect(report.explanation.contains("the install requires c0 *, version solving failed."))
        #expect(report.suggestions == ["relax the requirement on c4000 in c3999@1.0.0: ^3.0.0 matches no version"])
    }
}
