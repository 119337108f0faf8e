import Annals
import AnnalsPlatform
import ArgumentParser

/// `annals plugin show NAME [--group ORG]`.
struct PluginShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a plugin as an organization sees it: description, versions, dependencies, permissions.",
        discussion: """
            Prints one JSON line: {"name","scope","registry","description","category","topics","repository", \
            "distTags","versions":[{"version","dependencies","permissions","actions","artifact"}]}. \
            Exit code 4 when no registry the organization sees lists it.
            Example: annals plugin show @elizaos/plugin-sql --group acme
            """)

    @OptionGroup var location: StoreLocation

    @Argument(help: "The plugin's name.")
    var name: String

    @Option(name: .customLong("group"), help: ArgumentHelp("As this organization sees it.", valueName: "org"))
    var organization: String?

    func validate() throws { try OrganizationOption.check(organization) }

    func run() throws {
        let store = try location.openForReadingViews()
        defer { store.close() }
        let platform = PluginPlatform(store: store)
        guard let plugin = try platform.plugin(name, organization: organization) else {
            let visible = try platform.plugins(organization: organization).map(\.name)
            throw CLIFailure(
                .notFound,
                "no registry visible to \(organization ?? "the global scope") lists '\(name)'"
                    + PluginNameSuggestion.hint(for: name, among: visible))
        }
        try Output.standard.line(plugin.json.canonicalBytes)
    }
}

/// `annals plugin allow --group ORG [PATTERN…] [--clear]`.
struct PluginAllow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allow",
        abstract: "Set which global plugins an organization may find and install (name patterns with *).",
        discussion: """
            Without patterns, prints the current allowlist. With patterns, replaces it; --clear removes it (every \
            global plugin visible again). The organization's private registries are always visible.
            Example: annals plugin allow --group acme "@elizaos/*" price-feed
            """)

    @OptionGroup var location: StoreLocation
    @OptionGroup var organization: OrganizationOption

    @Argument(help: "Name patterns, such as @elizaos/* (replace the list).")
    var patterns: [String] = []

    @Flag(help: "Remove the allowlist.")
    var clear = false

    @OptionGroup var actor: ActorOption

    func validate() throws {
        try organization.check()
        if clear, !patterns.isEmpty { throw ValidationError("--clear takes no patterns") }
        for pattern in patterns where pattern.isEmpty || pattern.count > 100 {
            throw ValidationError("an allowlist pattern must be 1–100 characters, got '\(pattern)'")
        }
    }

    func run() throws {
        let org = organization.organization
        guard clear || !patterns.isEmpty else {
            let store = try location.openForReadingViews()
            defer { store.close() }
            let list = try PluginPlatform(store: store).allowlist(organization: org)
            try Output.standard.line(
                JSONValue.object(["group": .string(org), "allowlist": .array(list.map(JSONValue.string))])
                    .canonicalBytes)
            return
        }
        let store = try location.openCheckingEveryPage(writing: true)
        defer { store.close() }
        let platform = PluginPlatform(store: store)
        let (patterns, actor) = (patterns, actor.actor)
        let offset = try blocking { try await platform.setAllowlist(patterns, organization: org, actorId: actor) }
        try Output.standard.line(
            JSONValue.object([
                "group": .string(org), "allowlist": .array(patterns.map(JSONValue.string)),
                "offset": offset.map(JSONValue.integer) ?? .null,
            ]).canonicalBytes)
    }
}
