import Annals
import AnnalsPlatform
import ArgumentParser
import Foundation

/// `annals plugin history NAME --group ORG`.
struct PluginHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "The history of an install, read from its event stream.",
        discussion: """
            One JSON line per event: {"offset","streamVersion","type","operation","version","actor","timestamp"}. \
            Exit code 4 when it was never installed. Example: annals plugin history price-feed --group acme
            """)

    @OptionGroup var location: StoreLocation
    @Argument(help: "The plugin.") var name: String
    @OptionGroup var organization: OrganizationOption

    func validate() throws { try organization.check() }

    func run() throws {
        let store = try location.openCheckingEveryPage(writing: false)
        defer { store.close() }
        for entry in try PluginPlatform(store: store).history(name, organization: organization.organization) {
            try Output.standard.line(entry.json.canonicalBytes)
        }
    }
}
