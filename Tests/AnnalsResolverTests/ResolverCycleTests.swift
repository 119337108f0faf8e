import Testing

@testable import AnnalsResolver

@Suite("Resolver and dependency cycles: avoided when versions without one exist, explained when none do")
struct ResolverCycleTests {
    @Test("the newest versions close a cycle, so y moves back to a version without one; x stays the newest")
    func cycleAvoided() throws {
        let catalog = try catalog([
            "x": ["1.0.0": ["y": "^1.0.0"], "1.1.0": ["y": "^1.0.0"]],
            "y": ["1.0.0": [:], "1.1.0": ["x": "^1.0.0"]],
        ])
        let resolution = try resolve(catalog, ["x": "^1.0.0"])
        #expect(versionTexts(resolution) == ["x": "1.1.0", "y": "1.0.0"])
        #expect(resolution.installOrder.map(\.description) == ["y@1.0.0", "x@1.1.0"])
    }

    @Test("an installed version that now closes a cycle is not kept")
    func preferredCycleAvoided() throws {
        let catalog = try catalog([
            "x": ["1.0.0": ["y": "^1.0.0"]],
            "y": ["1.0.0": [:], "1.1.0": ["x": "^1.0.0"]],
        ])
        let resolution = try resolve(catalog, ["x": "^1.0.0"], preferred: ["y": "1.1.0"])
        #expect(versionTexts(resolution) == ["x": "1.0.0", "y": "1.0.0"])
    }

    @Test("a version depending on its own package is a cycle: another version is chosen when one fits")
    func selfDependencyAvoided() throws {
        let catalog = try catalog(["a": ["0.9.0": [:], "1.0.0": ["a": "^1.0.0"]]])
        #expect(versionTexts(try resolve(catalog, ["a": "*"])) == ["a": "0.9.0"])
    }

    @Test("a version depending on its own package, with no other version to choose, is explained as a cycle")
    func selfDependencyReported() throws {
        let catalog = try catalog(["s": ["1.0.0": ["s": "^1.0.0"]]])
        let error = try #require(try resolutionError(catalog, ["s": "*"]))
        guard case .dependencyCycle(let cycles, let report) = error else {
            Issue.record("expected a cycle, got \(error)")
            return
        }
        #expect(cycles.map(\.description) == ["s@1.0.0 → s@1.0.0"])
        #expect(cycles.map(\.packages) == [["s"]])
        #expect(
            report.explanation == """
                Because the dependency cycle s@1.0.0 → s@1.0.0 cannot be installed in order and the install requires \
                s *, version solving failed.
                """)
    }

    @Test("when every choice has a cycle, the failure is explained with the cycle, traced back to the request")
    func cycleReported() throws {
        let catalog = try catalog([
            "a": ["1.0.0": ["b": "^2.0.0"]], "b": ["2.0.0": ["a": "^1.0.0"]], "c": ["1.0.0": ["a": "^1.0.0"]],
        ])
        let error = try #require(try resolutionError(catalog, ["c": "^1.0.0"]))
        guard case .dependencyCycle(let cycles, let report) = error else {
            Issue.record("expected a cycle, got \(error)")
            return
        }
        #expect(cycles.map(\.description) == ["a@1.0.0 → b@2.0.0 → a@1.0.0"])
        #expect(cycles.map(\.packages) == [["a", "b"]])
        #expect(report.facts.contains(.dependencyCycle(cycles[0])))
        #expect(
            report.explanation == """
                Because a@1.0.0 depends on b ^2.0.0 and the dependency cycle a@1.0.0 → b@2.0.0 → a@1.0.0 cannot be \
                installed in order, a@1.0.0 cannot be installed.
                And because c@1.0.0 depends on a ^1.0.0 and the install requires c ^1.0.0, version solving failed.
                """)
        #expect(error.explanation == report.explanation)
    }

    @Test("a cycle is ruled out for every version that closes it, not one combination at a time")
    func cycleRuledOutWhole() throws {
        let catalog = try catalog([
            "x": ["1.0.0": ["y": "^1.0.0"], "1.1.0": ["y": "^1.0.0"], "1.2.0": ["y": "^1.0.0"]],
            "y": ["1.0.0": ["x": "^1.0.0"], "1.1.0": ["x": "^1.0.0"], "1.2.0": ["x": "^1.0.0"]],
        ])
        let error = try #require(try resolutionError(catalog, ["x": "^1.0.0"]))
        guard case .dependencyCycle(let cycles, _) = error else {
            Issue.record("expected a cycle, got \(error)")
            return
        }
        #expect(cycles.map(\.description) == ["x ^1.0.0 → y ^1.0.0 → x ^1.0.0"])
        let every = ["1.0.0", "1.1.0", "1.2.0"]
        #expect(cycles[0].versions.map { $0.map(\.description) } == [every, every])
        do {
            _ = try DependencyResolver(provider: catalog, cycleLimit: 1).resolve(request(["x": "^1.0.0"]))
            Issue.record("the resolution must fail")
        } catch let error as ResolutionError {
            guard case .dependencyCycle = error else {
                Issue.record("one cycle ruled out must be enough, got \(error)")
                return
            }
        }
    }

    @Test("past the cycle limit the resolver stops and lists the cycles it found")
    func cycleLimit() throws {
        let catalog = try catalog([
            "a": ["1.0.0": ["b": "*"]],
            "b": ["0.5.0": [:], "1.0.0": ["c": "^1.0.0"], "2.0.0": ["a": "^1.0.0"]],
            "c": ["1.0.0": ["b": "^1.0.0"]],
        ])
        #expect(versionTexts(try resolve(catalog, ["a": "^1.0.0"])) == ["a": "1.0.0", "b": "0.5.0"])
        do {
            _ = try DependencyResolver(provider: catalog, cycleLimit: 1).resolve(request(["a": "^1.0.0"]))
            Issue.record("the resolution must stop at the cycle limit")
        } catch let error as ResolutionError {
            guard case .tooManyCycles(let found, let limit) = error else {
                Issue.record("expected tooManyCycles, got \(error)")
                return
            }
            #expect(limit == 1)
            #expect(found.map(\.description) == ["a@1.0.0 → b@2.0.0 → a@1.0.0", "b@1.0.0 → c@1.0.0 → b@1.0.0"])
            #expect(
                error.explanation == """
                    Resolution stopped after ruling out 1 dependency cycle, one at a time, because the versions chosen \
                    next still had one (a cycle has no install order); versions without a cycle may exist. The cycles \
                    found:
                    - a@1.0.0 → b@2.0.0 → a@1.0.0
                    - b@1.0.0 → c@1.0.0 → b@1.0.0
                    """)
        }
    }

    /// `a` depends on any `b`; `b` at 1.0.0 … `cycles`.0.0 each closes a cycle of its own through `cK`, and 0.1.0
    /// depends on nothing: the resolver rules out one cycle per solve, newest first, until it reaches 0.1.0.
    private func cyclesOneAtATime(_ cycles: Int) throws -> PackageCatalog {
        var table: [String: [String: [String: String]]] = ["a": ["1.0.0": ["b": "*"]], "b": ["0.1.0": [:]]]
        for index in 1...cycles {
            table["b"]!["\(index).0.0"] = ["c\(index)": "^1.0.0"]
            table["c\(index)"] = ["1.0.0": ["b": "\(index).0.0"]]
        }
        return try catalog(table)
    }

    @Test("100 cycles ruled out one at a time still resolve; a 101st found stops the resolution, listing all 101")
    func defaultCycleLimit() throws {
        #expect(versionTexts(try resolve(cyclesOneAtATime(100), ["a": "^1.0.0"])) == ["a": "1.0.0", "b": "0.1.0"])
        let error = try #require(try resolutionError(cyclesOneAtATime(101), ["a": "^1.0.0"]))
        guard case .tooManyCycles(let found, let limit) = error else {
            Issue.record("expected tooManyCycles, got \(error)")
            return
        }
        #expect(limit == 100)
        #expect(found.count == 101)
        #expect(found.first?.description == "b@101.0.0 → c101@1.0.0 → b@101.0.0")
        #expect(found.last?.description == "b@1.0.0 → c1@1.0.0 → b@1.0.0")
        #expect(error.explanation.hasPrefix("Resolution stopped after ruling out 100 dependency cycles, one at a time"))
    }
}
