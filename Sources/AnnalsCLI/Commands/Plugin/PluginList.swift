import Annals
import AnnalsPlatform
import ArgumentParser
import Foundation

/// `annals plugin list --group ORG`.
struct PluginList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the plugins installed in an organization.",
        discussion: """
            One JSON line per install: {"name","group","version","source","requested","pinned","grants", \
            "installedOffset","updatedOffset","lastUpdate"}; "requested" is null for plugins installed only as \
            dependencies. Example: annals plugin list --group acme --format table
            """)

    @OptionGroup var options: OrganizationReadOptions

    func validate() throws { try options.organization.check() }

    func run() throws {
        let installs = try options.read { platform, org in try platform.installs(organization: org) }
        try Output.standard.items(
            installs, format: options.format, json: \.json,
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
