import AnnalsPlatform
import Testing

@Suite("Plugin name suggestions")
struct PluginNameSuggestionTests {
    static let registry = ["@elizaos/plugin-sql", "@elizaos/plugin-sqlite", "@other/plugin-sql", "Alerts", "core"]

    @Test("the short form, the name without 'plugin-' and another case are matched; scoped names sort")
    func matches() {
        #expect(
            PluginNameSuggestion.names(for: "plugin-sql", among: Self.registry) == [
                "@elizaos/plugin-sql", "@other/plugin-sql",
            ])
        #expect(
            PluginNameSuggestion.names(for: "SQL", among: Self.registry) == [
                "@elizaos/plugin-sql", "@other/plugin-sql",
            ])
        #expect(PluginNameSuggestion.names(for: "alerts", among: Self.registry) == ["Alerts"])
        #expect(
            PluginNameSuggestion.names(for: "@ELIZAOS/PLUGIN-SQLITE", among: Self.registry) == [
                "@elizaos/plugin-sqlite"
            ])
    }

    @Test("no near name gives no hint; a name is never suggested for itself; at most three")
    func limits() {
        #expect(PluginNameSuggestion.hint(for: "postgres", among: Self.registry) == "")
        #expect(PluginNameSuggestion.names(for: "core", among: Self.registry).isEmpty)
        let many = (1...5).map { "@scope\($0)/plugin-x" }
        #expect(PluginNameSuggestion.names(for: "x", among: many).count == PluginNameSuggestion.limit)
        #expect(
            PluginNameSuggestion.hint(for: "x", among: many)
                == "; did you mean '@scope1/plugin-x', '@scope2/plugin-x' or '@scope3/plugin-x'?")
        #expect(PluginNameSuggestion.hint(for: "alerts", among: Self.registry) == "; did you mean 'Alerts'?")
    }
}
