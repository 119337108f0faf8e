import Annals
import AnnalsPlatform
import AnnalsResolver
import ArgumentParser
import Foundation

/// `annals plugin list --group ORG`.
struct PluginList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the plugins installed in an organization.",
        discussion: """
            One JSON line per install: {"name","group","version","source","requested","pinned","grants",
            "installedOffset","updatedOffset","lastUpdate"}; "requested" is null for plugins installed only as
            dependencies. Example: annals plugin list --group acme --format table
            """)

    @OptionGroup var location: StoreLocation
    @OptionGroup var organization: OrganizationOption

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    func validate() throws { try organization.check() }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        let installs = try PluginPlatform(store: store).installs(organization: organization.organization)
        try Output.standard.items(
            installs, format: format, json: \.json,
            columns: ["PLUGIN", "VERSION", "REQUESTED", "PINNED", "SOURCE", "GRANTS"]
        ) { install in
            [
                install.name, install.version.description, install.requested?.description ?? "(dependency)",
                install.pinned ? "yes" : "no", install.source.groupId,
                install.grants.isEmpty ? "-" : install.grants.joined(separator: ","),
            ]
        }
    }
}
