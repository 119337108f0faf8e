import Annals
import AnnalsPlatform
import ArgumentParser

/// `annals plugin install NAME[@RANGE] --group ORG [--grant PERMISSION…] [--dry-run]`.
struct PluginInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install a plugin and its dependencies in an organization, as one atomic batch.",
        discussion: """
            Resolves the organization's whole graph with npm semver semantics (newest satisfying versions) and \
            installs in topological order; dependencies already installed at a satisfying version are kept. \
            Prints one JSON line per step ({"name","action","from","to","reasons","newGrants"}), then a summary \
            ({"group","request","steps","events","offset"}). A first install grants the plugin and its new \
            dependencies the permissions they ask for (listed as newGrants); an installed plugin moved to a version \
            that asks for more needs each new one granted with --grant (exit code 11 otherwise). Installing an \
            installed plugin again moves it to the newest version in the range and is recorded like an update, \
            and grants like one: a dependency it adds needs its permissions given with --grant too (exit code 11 \
            otherwise). A --grant that no plugin of the organization asks for is refused (exit code 2), naming \
            what they ask for. Exit code 10 with an explanation when the requirements clash (which ones, why, and \
            how to fix it), 4 for an unknown plugin, 12 when a pinned install would be removed (nothing would \
            require it any more).
            Examples: annals plugin install @elizaos/plugin-sql --group acme; annals plugin install \
            price-feed@^1.0.0 --group acme --dry-run
            """)

    @OptionGroup var location: StoreLocation

    @Argument(help: "NAME or NAME@RANGE (a range such as ^1.2.0, or a dist-tag such as alpha).")
    var plugin: String

    @OptionGroup var organization: OrganizationOption

    @Option(
        name: .customLong("grant"),
        help: ArgumentHelp(
            "Grant a new permission to an installed dependency the install moves (repeatable).",
            valueName: "permission"))
    var grants: [String] = []

    @Flag(help: "Print the plan; install nothing.")
    var dryRun = false

    @OptionGroup var actor: ActorOption

    func validate() throws {
        try organization.check()
        let (name, range) = PluginReference.split(plugin)
        try checkPluginName(name)
        if range?.isEmpty == true { throw ValidationError("'\(plugin)': the range after '@' is empty") }
    }

    func run() throws {
        let (name, range) = PluginReference.split(plugin)
        let store = try location.openCheckingEveryPage(writing: !dryRun)
        defer { store.close() }
        let platform = PluginPlatform(store: store)
        let (org, grants, actor, dryRun) = (organization.organization, grants, actor.actor, dryRun)
        let plan = try blocking {
            try await platform.install(
                name, range: range, organization: org, grants: grants, actorId: actor, dryRun: dryRun)
        }
        try PluginReference.print(plan)
    }
}

/// `annals plugin update NAME --group ORG [--to RANGE] [--grant PERMISSION…] [--dry-run]`.
struct PluginUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Update an installed plugin to its newest version (or the newest in --to), with its dependencies.",
        discussion: """
            Records the offset and version it updated from (what `plugin rollback` returns to). A version that \
            asks for more permissions, or a dependency the update installs anew, needs each new permission granted \
            with --grant (exit code 11 otherwise), and a --grant no plugin asks for is refused (exit code 2); a \
            pinned plugin, or an update that would remove a pinned install, is refused (exit code 12). Output as \
            for install.
            Example: annals plugin update price-feed --group acme --grant secrets.read:PRICE_API_KEY
            """)

    @OptionGroup var location: StoreLocation

    @Argument(help: "The installed plugin.")
    var name: String

    @OptionGroup var organization: OrganizationOption

    @Option(help: "A range or dist-tag to update within (default: the latest version).")
    var to: String?

    @Option(
        name: .customLong("grant"), help: ArgumentHelp("Grant a new permission (repeatable).", valueName: "permission"))
    var grants: [String] = []

    @Flag(help: "Print the plan; change nothing.")
    var dryRun = false

    @OptionGroup var actor: ActorOption

    func validate() throws {
        try organization.check()
        try checkPluginName(name)
        if to?.isEmpty == true { throw ValidationError("--to must not be empty") }
    }

    func run() throws {
        let store = try location.openCheckingEveryPage(writing: !dryRun)
        defer { store.close() }
        let platform = PluginPlatform(store: store)
        let (name, to, org, grants, actor, dryRun) = (name, to, organization.organization, grants, actor.actor, dryRun)
        let plan = try blocking {
            try await platform.update(
                name, range: to, organization: org, grants: grants, actorId: actor, dryRun: dryRun)
        }
        try PluginReference.print(plan)
    }
}

/// Parsing `NAME@RANGE` and printing plans.
enum PluginReference {
    /// `("@scope/name", "^1.0.0")` for `@scope/name@^1.0.0`; a leading `@` belongs to the scope.
    static func split(_ text: String) -> (name: String, range: String?) {
        let searchStart = text.hasPrefix("@") ? text.index(after: text.startIndex) : text.startIndex
        guard let at = text[searchStart...].firstIndex(of: "@") else { return (text, nil) }
        return (String(text[..<at]), String(text[text.index(after: at)...]))
    }

    /// One line per step, then the summary.
    static func print(_ plan: InstallPlan) throws {
        for step in plan.steps { try Output.standard.line(step.json.canonicalBytes) }
        try Output.standard.line(plan.summaryJSON.canonicalBytes)
    }
}
