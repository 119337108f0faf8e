import AnnalsResolver
import Testing

@testable import AnnalsPlatform

/// The hints after a failed resolution (a plugin the allowlist hides, one withdrawn or yanked) look for the plugins
/// the failure rests on, not only in the explanation as shown, whose middle lines a long one leaves out.
@Suite("Plugin resolution: hints for plugins an explanation leaves out")
struct PluginResolutionHintTests {
    @Test("the facts of the derivation are searched as well as the explanation shown")
    func factsAreSearched() throws {
        let dependent = PackageVersion("chain-17", try SemanticVersion(parsing: "1.0.0"))
        let fact = ResolutionFact.dependency(
            dependent: dependent, package: "hidden-lib", range: try VersionRange(parsing: "^1.0.0"))
        let report = ConflictReport(
            derivation: .fact(fact), facts: [fact], suggestions: [],
            explanation: "Because …\n… 40 more lines …\nversion solving failed.")
        let text = InstallPlanner.namedText(of: .unsatisfiable(report))
        #expect(InstallPlanner.mentions(text, "hidden-lib"))
        #expect(!InstallPlanner.mentions(report.explanation, "hidden-lib"))

        let stopped = ResolutionError.workBudgetExhausted(decisions: 1, conflictSteps: 1, budget: 2)
        #expect(InstallPlanner.namedText(of: stopped) == stopped.explanation)
    }
}
