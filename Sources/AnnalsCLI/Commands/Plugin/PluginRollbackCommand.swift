import Annals
import AnnalsPlatform
import AnnalsResolver
import ArgumentParser
import Foundation

/// `annals plugin rollback NAME --group ORG [--to OFFSET|VERSION] [--dry-run]`.
struct PluginRollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Return an install (and what moved with it) to its state before its last update, by replay.",
        discussion: """
            Without --to, undoes the last update: every install it changed returns to its state as of the offset \
            the update started from. --to OFFSET or --to VERSION returns the install and its dependencies to that \
            state. The state is computed by replaying the log and the restore is appended as new events (the log \
            is never rewritten). Grants follow the version an install returns to: a permission granted since that \
            it does not ask for is revoked. Prints one JSON line per change, then \
            {"targetOffset","instances","revokedGrants","offset"}. Exit code 4 when there is nothing to roll back \
            to, 10 when it would break another install.
            Examples: annals plugin rollback price-feed --group acme; annals plugin rollback price-feed --group acme \
            --to 1.0.0
            """)

    @OptionGroup var location: StoreLocation

    @Argument(help: "The installed plugin.")
    var name: String

    @OptionGroup var organization: OrganizationOption

    @Option(help: ArgumentHelp("An offset, or a version the plugin had.", valueName: "offset|version"))
    var to: String?

    @Flag(help: "Print the changes; append nothing.")
    var dryRun = false

    @OptionGroup var actor: ActorOption

    func validate() throws {
        try organization.check()
        if let to, WholeNumber<UInt64>.parse(to) == nil, SemanticVersion(to) == nil {
            throw ValidationError("--to must be an offset or a version such as 1.2.0, not '\(to)'")
        }
    }

    func run() throws {
        let target: PluginRollbackTarget? = to.map { text in
            if let offset = WholeNumber<UInt64>.parse(text) { return .offset(offset) }
            return .version(SemanticVersion(text)!)
        }
        let store = try location.openCheckingEveryPage(writing: !dryRun)
        defer { store.close() }
        let platform = PluginPlatform(store: store)
        let (name, org, actor, dryRun) = (name, organization.organization, actor.actor, dryRun)
        let result = try blocking {
            try await platform.rollback(name, organization: org, to: target, actorId: actor, dryRun: dryRun)
        }
        for change in result.changes { try Output.standard.line(change.json.canonicalBytes) }
        try Output.standard.line(
            JSONValue.object([
                "targetOffset": .integer(result.targetOffset),
                "instances": .array(result.instances.map(JSONValue.string)),
                "revokedGrants": .object(result.revokedGrants.mapValues { .array($0.map(JSONValue.string)) }),
                "offset": result.offset.map(JSONValue.integer) ?? .null,
            ]).canonicalBytes)
    }
}
