import Testing

@testable import AnnalsPlatform

/// The resolver's work budget grows with the catalog an organization resolves against, so that a large catalog's
/// valid resolution (at least one decision per plugin it installs) is not stopped for its size alone.
@Suite("Plugin resolution: the work budget follows the catalog")
struct PluginResolutionBudgetTests {
    @Test("10,000 steps up to 2,500 plugins, then 4 per plugin, without overflowing")
    func budgetFollowsTheCatalog() {
        #expect(InstallPlanner.workBudget(catalogSize: 0) == 10_000)
        #expect(InstallPlanner.workBudget(catalogSize: 400) == 10_000)
        #expect(InstallPlanner.workBudget(catalogSize: 2_500) == 10_000)
        #expect(InstallPlanner.workBudget(catalogSize: 2_501) == 10_004)
        #expect(InstallPlanner.workBudget(catalogSize: 50_000) == 200_000)
        #expect(InstallPlanner.workBudget(catalogSize: .max) == .max)
    }
}
