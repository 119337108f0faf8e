import Testing

@testable import AnnalsResolver

/// A catalog where app's two dependencies clash on `shared` at once, while every version of `shared` depends on a
/// chain of `chain` packages (named after `y`, so decided after it): the failure is found in a few steps, but a
/// suggestion that resolves takes more than `chain` decisions to try.
private func clashOverChain(_ chain: Int) throws -> PackageCatalog {
    var table: [String: [String: [String: String]]] = [
        "app": ["1.0.0": ["x": "^1.0.0", "y": "^1.0.0"]],
        "x": ["1.0.0": ["shared": "^1.0.0"]],
        "y": ["1.0.0": ["shared": "^2.0.0"]],
        "shared": ["1.0.0": ["z0": "^1.0.0"], "2.0.0": ["z0": "^1.0.0"]],
    ]
    for index in 0..<chain {
        table["z\(index)"] = ["1.0.0": index + 1 < chain ? ["z\(index + 1)": "^1.0.0"] : [:]]
    }
    return try catalog(table)
}

@Suite("Resolver work budget: decisions plus conflict-resolution steps")
struct ResolverWorkBudgetTests {
    @Test("a search past its budget stops with the counts, instead of running on")
    func budgetExhausted() throws {
        do {
            _ = try DependencyResolver(provider: pigeonholeCatalog(holes: 8), workBudget: 500)
                .resolve(pigeonholeRequest(holes: 8))
            Issue.record("the pigeonhole request has no solution")
        } catch {
            guard case .workBudgetExhausted(let decisions, let conflictSteps, let budget) = error else {
                Issue.record("expected workBudgetExhausted, got \(error)")
                return
            }
            #expect(budget == 500)
            #expect(decisions + conflictSteps == 500)
            #expect(decisions > 0 && conflictSteps > 0)
            #expect(
                error.explanation == """
                    Resolution stopped: its work budget of 500 steps was exhausted (\(decisions) decisions and \
                    \(conflictSteps) conflict-resolution steps) before it found versions that satisfy every \
                    requirement or proved that none do; such versions may exist. Narrower requirements leave it less \
                    to search.
                    """)
        }
    }

    /// Ten packages in a chain, and the install itself: eleven decisions.
    @Test("a resolution that takes exactly its budget succeeds; one step less stops it")
    func budgetIsExact() throws {
        var table: [String: [String: [String: String]]] = [:]
        for index in 0..<10 { table["c\(index)"] = ["1.0.0": index < 9 ? ["c\(index + 1)": "^1.0.0"] : [:]] }
        let catalog = try catalog(table)
        let chain = try request(["c0": "^1.0.0"])
        let resolution = try DependencyResolver(provider: catalog, workBudget: 11).resolve(chain)
        #expect(resolution.versions.count == 10)
        do {
            _ = try DependencyResolver(provider: catalog, workBudget: 10).resolve(chain)
            Issue.record("eleven decisions do not fit a budget of ten")
        } catch {
            guard case .workBudgetExhausted(let decisions, let conflictSteps, let budget) = error else {
                Issue.record("expected workBudgetExhausted, got \(error)")
                return
            }
            #expect([decisions, conflictSteps, budget] == [10, 0, 10])
        }
    }

    @Test("the default budget is 10,000 steps")
    func defaultBudget() throws {
        #expect(DependencyResolver(provider: PackageCatalog()).workBudget == 10_000)
    }

    @Test("the trials of a failure's suggestions share one budget: a suggestion whose trial outruns it is dropped")
    func trialsShareABudget() throws {
        let catalog = try clashOverChain(40)
        let relaxX = "relax the requirement on shared in x"
        let relaxY = "relax the requirement on shared in y"
        let app = try request(["app": "^1.0.0"])
        for (budget, suggestions) in [(10_000, [relaxY, relaxX]), (60, [relaxY]), (30, [])] {
            do {
                _ = try DependencyResolver(provider: catalog, workBudget: budget).resolve(app)
                Issue.record("x and y clash on shared")
            } catch {
                guard case .unsatisfiable(let report) = error else {
                    Issue.record("expected unsatisfiable, got \(error)")
                    continue
                }
                #expect(report.suggestions == suggestions, "budget \(budget)")
                #expect(report.explanation.contains("version solving failed"))
            }
        }
    }
}
