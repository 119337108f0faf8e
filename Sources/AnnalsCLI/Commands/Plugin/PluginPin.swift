import Annals
import AnnalsPlatform
import ArgumentParser

/// `annals plugin pin NAME --group ORG`.
struct PluginPin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "Pin an installed plugin at its version: updates leave it alone.",
        discussion: "Prints {\"name\",\"pinned\",\"offset\"}; offset is null when nothing changed.")

    @OptionGroup var install: PinnedInstall

    func validate() throws { try install.organization.check() }

    func run() throws { try install.setPinned(true) }
}

/// `annals plugin unpin NAME --group ORG`.
struct PluginUnpin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpin", abstract: "Unpin an installed plugin.",
        discussion: "Prints {\"name\",\"pinned\",\"offset\"}; offset is null when nothing changed.")

    @OptionGroup var install: PinnedInstall

    func validate() throws { try install.organization.check() }

    func run() throws { try install.setPinned(false) }
}

/// What `pin` and `unpin` take: the store, the install and who changes it.
struct PinnedInstall: ParsableArguments {
    @OptionGroup var location: StoreLocation
    @Argument(help: "The installed plugin.") var name: String
    @OptionGroup var organization: OrganizationOption
    @OptionGroup var actor: ActorOption

    /// Pins or unpins the install and prints the outcome.
    func setPinned(_ pinned: Bool) throws {
        let store = try location.openCheckingEveryPage(writing: true)
        defer { store.close() }
        let platform = PluginPlatform(store: store)
        let (name, org, actor) = (name, organization.organization, actor.actor)
        let offset = try blocking {
            pinned
                ? try await platform.pin(name, organization: org, actorId: actor)
                : try await platform.unpin(name, organization: org, actorId: actor)
        }
        try Output.standard.line(
            JSONValue.object([
                "name": .string(name), "pinned": .bool(pinned), "offset": offset.map(JSONValue.integer) ?? .null,
            ]).canonicalBytes)
    }
}
