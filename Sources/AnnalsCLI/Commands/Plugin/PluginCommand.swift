import Annals
import AnnalsPlatform
import ArgumentParser

/// `annals plugin …`: the plugin platform — registries, search, installs per organization, versions.
struct PluginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin",
        abstract: "The plugin platform: sync registries, search, install with dependencies, update and roll back.",
        discussion: """
            Registries are global or belong to one organization (--group ORG); an organization sees the global \
            registry (narrowed by its allowlist) plus its own. Every change is an atomic batch of events. \
            Exit codes besides the common ones: 10 the dependencies cannot be resolved (the explanation says why), \
            11 a new version asks for permissions that were not granted (--grant), 12 the plugin is pinned, \
            13 a plugin execution failed (its outcome is recorded). \
            See docs/PLUGINS.md.
            """,
        subcommands: [
            PluginSync.self, PluginSearch.self, PluginShow.self, PluginAllow.self, PluginInstallCommand.self,
            PluginExplain.self, PluginList.self, PluginOutdated.self, PluginUpdate.self, PluginRollbackCommand.self,
            PluginPin.self, PluginUnpin.self, PluginHistory.self, PluginRun.self, PluginRunJob.self, PluginJobs.self,
            PluginCancel.self, PluginSubscriptions.self, PluginDispatch.self, PluginDeadLetters.self,
            PluginArtifacts.self,
        ])
}

/// `--group ORG` for commands that act inside one organization.
struct OrganizationOption: ParsableArguments {
    @Option(name: .customLong("group"), help: ArgumentHelp("The organization.", valueName: "org"))
    var organization: String

    /// Checks the name (letters, digits, `_`, `.`, `-`; not `global`).
    func check() throws { try Self.check(organization) }

    /// Checks an organization's name given to `--group` (exit 64 when it is not one), if one was given.
    static func check(_ organization: String?) throws {
        guard let organization else { return }
        do {
            _ = try PluginScope.checkedOrganization(organization)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// What the read-only commands about one organization take: `--store`, `--group ORG`, `--format`.
struct OrganizationReadOptions: ParsableArguments {
    @OptionGroup var location: StoreLocation
    @OptionGroup var organization: OrganizationOption

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    /// Runs `body` with the platform over the store opened read-only, and the organization's name.
    func read<R>(_ body: (PluginPlatform, String) throws -> R) throws -> R {
        let store = try location.openForReadingViews()
        defer { store.close() }
        return try body(PluginPlatform(store: store), organization.organization)
    }
}

/// `--actor NAME`, recorded as the events' `actorId`.
struct ActorOption: ParsableArguments {
    @Option(help: "Who makes the change (the events' actorId).")
    var actor = "annals-cli"

    func validate() throws { try Self.check(actor) }

    /// Refuses an `--actor` no event may carry (exit 64), naming the flag: also for commands with an `--actor` of
    /// their own.
    static func check(_ actor: String) throws {
        if actor.isEmpty { throw ValidationError("--actor must not be empty") }
        if let problem = NewEvent.identifierProblem(actor) { throw ValidationError("--actor \(problem)") }
    }
}

/// Refuses a plugin name no registry can list (exit 64), before the store is opened.
func checkPluginName(_ name: String, argument: String = "NAME") throws {
    if let problem = PluginName.problem(name) { throw ValidationError("\(argument): \(problem)") }
}
