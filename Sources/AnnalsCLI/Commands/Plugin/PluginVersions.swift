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
        guard format == .table else {
            for install in installs { try Output.standard.line(install.json.canonicalBytes) }
            return
        }
        var table = TextTable(["PLUGIN", "VERSION", "REQUESTED", "PINNED", "SOURCE", "GRANTS"])
        for install in installs {
            table.add([
                install.name, install.version.description, install.requested?.description ?? "(dependency)",
                install.pinned ? "yes" : "no", install.source.groupId,
                install.grants.isEmpty ? "-" : install.grants.joined(separator: ","),
            ])
        }
        try table.print()
    }
}

/// `annals plugin explain NAME --group ORG`.
struct PluginExplain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show why a plugin is installed: the chains of requirements back to what the organization asked for.",
        discussion: """
            Prints one JSON line: {"name","version","requested","chains":[[…]],"dependencies":[…]}, or readable
            lines with --format table. Exit code 4 when it is not installed.
            Example: annals plugin explain http-client --group acme
            """)

    @OptionGroup var location: StoreLocation

    @Argument(help: "The installed plugin.")
    var name: String

    @OptionGroup var organization: OrganizationOption

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    func validate() throws { try organization.check() }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        let explanation = try PluginPlatform(store: store).explain(name, organization: organization.organization)
        guard format == .table else {
            try Output.standard.line(explanation.json.canonicalBytes)
            return
        }
        try Output.standard.line("\(explanation.install.name)@\(explanation.install.version) is installed because:")
        for chain in explanation.chains { try Output.standard.line("  " + chain.joined(separator: " → ")) }
        if !explanation.dependencies.isEmpty {
            try Output.standard.line("its dependencies:")
            for dependency in explanation.dependencies { try Output.standard.line("  " + dependency) }
        }
    }
}

/// `annals plugin outdated --group ORG`.
struct PluginOutdated: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outdated",
        abstract: "List installed plugins with a newer version, and whether the update is breaking.",
        discussion: """
            One JSON line per plugin: {"name","current","wanted","latest","breaking","why","pinned"}. Breaking
            means a major bump (a minor bump below 1.0.0), removed actions or expanded permissions.
            Example: annals plugin outdated --group acme --format table
            """)

    @OptionGroup var location: StoreLocation
    @OptionGroup var organization: OrganizationOption

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    func validate() throws { try organization.check() }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        let outdated = try PluginPlatform(store: store).outdated(organization: organization.organization)
        guard format == .table else {
            for entry in outdated { try Output.standard.line(entry.json.canonicalBytes) }
            return
        }
        var table = TextTable(["PLUGIN", "CURRENT", "WANTED", "LATEST", "BREAKING", "WHY"])
        for entry in outdated {
            table.add([
                entry.name, entry.current.description, entry.wanted?.description ?? "-", entry.latest.description,
                entry.breaking ? "yes" : "no", entry.breakingReasons.joined(separator: "; "),
            ])
        }
        try table.print()
    }
}

/// `annals plugin rollback NAME --group ORG [--to OFFSET|VERSION] [--dry-run]`.
struct PluginRollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Return an install (and what moved with it) to its state before its last update, by replay.",
        discussion: """
            Without --to, undoes the last update: every install it changed returns to its state as of the offset
            the update started from. --to OFFSET or --to VERSION returns the install and its dependencies to that
            state. The state is computed by replaying the log and the restore is appended as new events (the log
            is never rewritten). Prints one JSON line per change, then {"targetOffset","instances","offset"}.
            Exit code 4 when there is nothing to roll back to, 10 when it would break another install.
            Examples: annals plugin rollback price-feed --group acme; annals plugin rollback price-feed --group acme
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
        if let to, UInt64(to) == nil, SemanticVersion(to) == nil {
            throw ValidationError("--to must be an offset or a version such as 1.2.0, not '\(to)'")
        }
    }

    func run() throws {
        let target: PluginRollbackTarget? = to.map { text in
            if let offset = UInt64(text) { return .offset(offset) }
            return .version(SemanticVersion(text)!)
        }
        let store = try dryRun ? location.openForReading() : location.openForWriting()
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
                "offset": result.offset.map(JSONValue.integer) ?? .null,
            ]).canonicalBytes)
    }
}

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

/// `annals plugin history NAME --group ORG`.
struct PluginHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "The history of an install, read from its event stream.",
        discussion: """
            One JSON line per event: {"offset","streamVersion","type","operation","version","actor","timestamp"}.
            Exit code 4 when it was never installed. Example: annals plugin history price-feed --group acme
            """)

    @OptionGroup var location: StoreLocation
    @Argument(help: "The plugin.") var name: String
    @OptionGroup var organization: OrganizationOption

    func validate() throws { try organization.check() }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        for entry in try PluginPlatform(store: store).history(name, organization: organization.organization) {
            try Output.standard.line(entry.json.canonicalBytes)
        }
    }
}
