import Testing

@testable import AnnalsResolver

@Suite("Resolver failures: conflicts, unknown packages, unmatched ranges, pins")
struct ResolverConflictTests {
    @Test("a clash between two dependencies is explained exactly, traced back to the install request")
    func clashExplained() throws {
        let catalog = try catalog([
            "a": ["1.0.0": ["c": "^2.0.0"], "0.9.0": ["c": "^1.0.0"]],
            "b": ["1.0.0": ["c": "^1.0.0"]],
            "c": ["1.0.0": [:], "2.0.0": [:]],
        ])
        let error = try #require(try resolutionError(catalog, ["a": "^1.0.0", "b": "^1.0.0"]))
        guard case .unsatisfiable(let report) = error else {
            Issue.record("expected unsatisfiable, got \(error)")
            return
        }
        #expect(
            report.explanation == """
                Because a@1.0.0 depends on c ^2.0.0 and b@1.0.0 depends on c ^1.0.0, a@1.0.0 is incompatible with \
                b@1.0.0.
                And because the install requires a ^1.0.0 and b ^1.0.0, version solving failed.

                Suggestions:
                - relax the requirement on c in b
                - relax the requirement on c in a
                - a@0.9.0 accepts c ^1.0.0 — request a@^0.9.0
                """)
        #expect(report.facts.contains(.installRequires(package: "a", range: try VersionRange(parsing: "^1.0.0"))))
        guard case .derived(let conclusion, _, _) = report.derivation else {
            Issue.record("expected a derived root")
            return
        }
        #expect(conclusion == "version solving failed")
        #expect(error.explanation == report.explanation)
    }

    @Test("a deeper conflict numbers lines that are referenced again and still reaches the install request")
    func deeperConflict() throws {
        let catalog = try catalog([
            "app": ["1.0.0": ["x": "^1.0.0", "y": "^1.0.0"]],
            "x": ["1.0.0": ["shared": "^1.0.0"], "1.1.0": ["shared": "^2.0.0", "z": "^1.0.0"]],
            "y": ["1.0.0": ["shared": "^3.0.0"]],
            "z": ["1.0.0": [:]],
            "shared": ["1.0.0": [:], "2.0.0": [:], "3.0.0": [:]],
        ])
        let error = try #require(try resolutionError(catalog, ["app": "^1.0.0"]))
        guard case .unsatisfiable(let report) = error else {
            Issue.record("expected unsatisfiable, got \(error)")
            return
        }
        for fragment in [
            "y@1.0.0 depends on shared ^3.0.0", "the install requires app ^1.0.0", "version solving failed",
            "x@1.1.0 depends on shared ^2.0.0", "x@1.0.0 depends on shared ^1.0.0",
        ] {
            #expect(report.explanation.contains(fragment), "missing: \(fragment)\n\(report.explanation)")
        }
        #expect(report.suggestions.contains("relax the requirement on shared in y"))
    }

    @Test("an unknown package names who required it")
    func unknownPackage() throws {
        let catalog = try catalog(["a": ["1.0.0": ["ghost": "^1.0.0"]]])
        let error = try #require(try resolutionError(catalog, ["a": "^1.0.0"]))
        guard case .unknownPackage(let name, let requiredBy, let report) = error else {
            Issue.record("expected unknownPackage, got \(error)")
            return
        }
        #expect(name == "ghost")
        #expect(requiredBy.requirer == .package(PackageVersion("a", try SemanticVersion(parsing: "1.0.0"))))
        #expect(report.explanation.contains("a@1.0.0 depends on ghost ^1.0.0, which is not a known package"))
        let direct = try #require(try resolutionError(catalog, ["nothing": "*"]))
        guard case .unknownPackage("nothing", let root, _) = direct else {
            Issue.record("expected unknownPackage, got \(direct)")
            return
        }
        #expect(root.requirer == .install)
    }

    @Test("a range no version matches lists the available versions and the requirer")
    func noMatchingVersion() throws {
        let catalog = try catalog(["c": ["1.0.0": [:], "2.0.0": [:]], "a": ["1.0.0": ["c": "^9.0.0"]]])
        let error = try #require(try resolutionError(catalog, ["a": "1.0.0"]))
        guard case .noMatchingVersion(let name, let available, let requiredBy, let report) = error else {
            Issue.record("expected noMatchingVersion, got \(error)")
            return
        }
        #expect(name == "c")
        #expect(available.map(\.description) == ["1.0.0", "2.0.0"])
        #expect(requiredBy.range.description == "^9.0.0")
        #expect(
            report.explanation.hasPrefix(
                "Because a@1.0.0 depends on c ^9.0.0, which matches no version of c (available: 1.0.0, 2.0.0)"))
        let direct = try #require(try resolutionError(catalog, ["c": "^3.0.0"]))
        #expect(
            direct.explanation.hasPrefix(
                "Because the install requires c ^3.0.0, which matches no version of c (available: 1.0.0, 2.0.0), "
                    + "version solving failed."))
    }

    @Test("a pinned version is kept, and a pin that clashes is explained with 'unpin'")
    func pinned() throws {
        let catalog = try catalog([
            "a": ["1.0.0": ["x": "^1.0.0"], "2.0.0": ["x": "^2.0.0"]],
            "x": ["1.0.0": [:], "1.5.0": [:], "2.0.0": [:]],
        ])
        let kept = try resolve(catalog, ["a": "*"], locked: ["x": "1.0.0"])
        #expect(versionTexts(kept) == ["a": "1.0.0", "x": "1.0.0"])
        let error = try #require(try resolutionError(catalog, ["a": "^2.0.0"], locked: ["x": "1.0.0"]))
        guard case .unsatisfiable(let report) = error else {
            Issue.record("expected unsatisfiable, got \(error)")
            return
        }
        #expect(report.explanation.contains("x is pinned at 1.0.0"))
        #expect(report.suggestions.contains("unpin x (pinned at 1.0.0)"))
    }

    @Test("no suggestion requests a version the failure proves cannot be installed, nor the request that failed")
    func suggestionsAvoidRuledOutVersions() throws {
        let catalog = try catalog([
            "foo": ["1.0.0": ["a": "^1", "b": "^1"], "1.1.0": ["x": "^1", "y": "^1"]],
            "a": ["1.0.0": ["b": "^2"]], "b": ["1.0.0": [:], "2.0.0": [:]],
            "x": ["1.0.0": ["y": "^2"]], "y": ["1.0.0": [:], "2.0.0": [:]],
        ])
        let error = try #require(try resolutionError(catalog, ["foo": "^1.0.0"]))
        guard case .unsatisfiable(let report) = error else {
            Issue.record("expected unsatisfiable, got \(error)")
            return
        }
        #expect(
            report.explanation == """
                Because a@1.0.0 depends on b ^2 and foo@1.0.0 depends on a ^1, foo@1.0.0 requires b@2.0.0.
                (1) And because foo@1.0.0 depends on b ^1, foo@1.0.0 cannot be installed.

                Because x@1.0.0 depends on y ^2 and foo@1.1.0 depends on x ^1, foo@1.1.0 requires y@2.0.0.
                And because foo@1.1.0 depends on y ^1, foo@1.1.0 cannot be installed.
                And because foo@1.0.0 cannot be installed (1), foo ^1.0.0 cannot be installed.
                And because the install requires foo ^1.0.0, version solving failed.

                Suggestions:
                - relax the requirement on b in a
                - relax the requirement on b in foo
                - relax the requirement on y in foo
                - relax the requirement on y in x
                """)
        #expect(try resolutionError(catalog, ["foo": "^1.1.0"]).map { $0.explanation.contains("request") } == false)
    }

    @Test("a suggested version is tried first: one with which the request still fails is skipped for an older one")
    func suggestionsTried() throws {
        let catalog = try catalog([
            "app": ["1.0.0": ["util": "^1.0.0"]],
            "util": ["1.0.0": ["core": "^1.0.0"]],
            "lib": [
                "1.0.0": ["core": "^1.0.0"], "1.1.0": ["core": "^1.0.0", "extra": "^5.0.0"],
                "1.2.0": ["core": "^2.0.0"],
            ],
            "core": ["1.0.0": [:], "2.0.0": [:]],
            "extra": ["1.0.0": [:]],
        ])
        let error = try #require(try resolutionError(catalog, ["app": "^1.0.0", "lib": "^1.2.0"]))
        guard case .unsatisfiable(let report) = error else {
            Issue.record("expected unsatisfiable, got \(error)")
            return
        }
        #expect(report.suggestions.contains("lib@1.0.0 accepts core ^1.0.0 — request lib@^1.0.0"))
        #expect(!report.suggestions.contains { $0.contains("lib@^1.1.0") || $0.contains("lib@^1.2.0") })
        #expect(versionTexts(try resolve(catalog, ["app": "^1.0.0", "lib": "^1.0.0"]))["lib"] == "1.0.0")
    }

    @Test("when no suggestion works, the explanation makes none")
    func noWorkingSuggestion() throws {
        let catalog = try catalog([
            "a": ["2.0.0": ["x": "^2.0.0"]],
            "x": ["1.0.0": [:], "2.0.0": ["z": "^1.0.0"]],
            "z": ["2.0.0": [:]],
        ])
        let error = try #require(try resolutionError(catalog, ["a": "^2.0.0"], locked: ["x": "1.0.0"]))
        guard case .unsatisfiable(let report) = error else {
            Issue.record("expected unsatisfiable, got \(error)")
            return
        }
        #expect(report.suggestions.isEmpty)
        #expect(!report.explanation.contains("Suggestions"))
        #expect(report.explanation.contains("x is pinned at 1.0.0"))
    }

    /// The shared helper, reachable inside closures that shadow it.
    private func catalog(_ table: [String: [String: [String: String]]]) throws -> PackageCatalog {
        try AnnalsResolverTests.catalog(table)
    }
}
