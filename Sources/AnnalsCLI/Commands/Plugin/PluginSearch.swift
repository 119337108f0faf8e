import Annals
import AnnalsPlatform
import ArgumentParser
import Foundation

/// `annals plugin search "QUERY" [--group ORG] [--category C] [--limit N]`.
struct PluginSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find plugins by what they do: semantic and lexical search over name, description, topics, actions.",
        discussion: """
            Searches what --group sees (the global registry, narrowed by its allowlist, plus its own registries; \
            the global registry alone without --group). jsonl prints one result per line, best first:
            {"name","scope","registry","description","category","latest","score","similarity","lexicalScore","matches", \
            "why"}; "why" says which query words matched and in which form (stem or related word).
            Examples: annals plugin search "trade on a crypto exchange"; annals plugin search "store agent memory \
            in postgres" --group acme --format table
            """)

    @OptionGroup var location: StoreLocation

    @Argument(help: "What the plugin should do, in words.")
    var query: String

    @Option(name: .customLong("group"), help: ArgumentHelp("Search what this organization sees.", valueName: "org"))
    var organization: String?

    @Option(help: "Only plugins of this category (see docs/PLUGINS.md for the inferred ones).")
    var category: String?

    @Option(help: "At most this many results, 1…100.")
    var limit: WholeNumber<Int> = 10

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    func validate() throws {
        try OrganizationOption.check(organization)
        guard (1...100).contains(limit.value) else { throw ValidationError("--limit must be within 1…100") }
        if query.allSatisfy(\.isWhitespace) { throw ValidationError("the QUERY must not be empty") }
        if category?.isEmpty == true { throw ValidationError("--category must not be empty") }
    }

    func run() throws {
        let store = try location.openForReadingViews()
        defer { store.close() }
        let results = try PluginPlatform(store: store).search(
            query, organization: organization, category: category, limit: limit.value)
        try Output.standard.items(
            Array(results.enumerated()), format: format, json: { $0.element.json },
            columns: ["RANK", "SCORE", "PLUGIN", "SCOPE", "REGISTRY", "LATEST", "WHY", "DESCRIPTION"], maximumWidth: 50
        ) { rank, result in
            [
                String(rank + 1), String(format: "%.4f", result.score), result.plugin.name,
                result.plugin.scope.groupId, result.plugin.registry, result.plugin.latest?.version.description ?? "-",
                result.why,
                result.plugin.description,
            ]
        }
    }
}
