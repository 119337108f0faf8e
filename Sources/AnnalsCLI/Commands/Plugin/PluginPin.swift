import Annals
import AnnalsPlatform
import AnnalsResolver
import ArgumentParser
import Foundation

/// `annals plugin pin|unpin NAME --group ORG`.
struct PluginPin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "Pin an installed plugin at its version: updates leave it alone.",
        discussion: "Prints {\"name\",\"pinned\",\"offset\"}; offset is null when nothing changed.")

    @OptionGroup var location: StoreLocation
    @Argument(help: "The installed plugin.") var name: String
    @OptionGroup var organization: OrganizationOption
    @OptionGroup var actor: ActorOption

    func validate() throws { try organization.check() }

    func run() throws { try PluginPin.set(true, name, organization.organization, actor.actor, location) }

    static func set(_ pinned: Bool, _ name: String, _ org: String, _ actor: String, _ location: StoreLocation) throws {
        let store = try location.openForWriting()
        defer { store.close() }
        let platform = PluginPlatform(store: store)
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

/// `annals plugin unpin NAME --group ORG`.
struct PluginUnpin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpin", abstract: "Unpin an installed plugin.",
        discussion: "Prints {\"name\",\"pinned\",\"offset\"}; offset is null when nothing changed.")

    @OptionGroup var location: StoreLocation
    @Argument(help: "The installed plugin.") var name: String
    @OptionGroup var organization: OrganizationOption
    @OptionGroup var actor: ActorOption

    func validate() throws { try organization.check() }

    func run() throws { try PluginPin.set(false, name, organization.organization, actor.actor, location) }
}
