import Annals
import AnnalsPlatform
import ArgumentParser
import Foundation

/// `annals plugin outdated --group ORG`.
struct PluginOutdated: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outdated",
        abstract: "List installed plugins with a newer version or a yanked one, and whether the update is breaking.",
        discussion: """
            One JSON line per plugin: {"name","current","wanted","latest","breaking","why","pinned","yanked"}. Breaking \
            means a major bump (a minor bump below 1.0.0), removed actions or expanded permissions. Yanked: the \
            installed version is no longer listed by its registry (it keeps working; nothing new chooses it).
            Example: annals plugin outdated --group acme --format table
            """)

    @OptionGroup var options: OrganizationReadOptions

    func validate() throws { try options.organization.check() }

    func run() throws {
        let outdated = try options.read { platform, org in try platform.outdated(organization: org) }
        try Output.standard.items(
            outdated, format: options.format, json: \.json,
            columns: ["PLUGIN", "CURRENT", "WANTED", "LATEST", "BREAKING", "WHY"]
        ) { entry in
            [
                entry.name, entry.current.description, entry.wanted?.description ?? "-", entry.latest.description,
                entry.breaking ? "yes" : "no",
                ((entry.yanked ? ["\(entry.current) is yanked"] : []) + entry.breakingReasons).joined(separator: "; "),
            ]
        }
    }
}
