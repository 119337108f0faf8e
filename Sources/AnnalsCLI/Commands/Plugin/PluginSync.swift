import Annals
import AnnalsPlatform
import ArgumentParser

/// `annals plugin sync SOURCE [--group ORG] [--name NAME] [--strict] [--allow-withdraw]`.
struct PluginSync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync a plugin registry from a file, a directory or an http(s) URL.",
        discussion: """
            Reads the ElizaOS index.json or generated-registry.json (or a directory holding both), or an Annals \
            manifest ("format": "annals.plugins/1"). Each entry is validated on its own: a bad one is reported on \
            stderr with its name, line and what is wrong, and skipped; so is a release whose module, given by URL, \
            cannot be downloaded or has another SHA-256 (the plugin's other versions are synced; a version synced \
            before keeps its record). Syncing the same source again appends no plugin events. Prints one JSON line: {"registry","scope","format","added","changed","removed", \
            "unchanged","skipped","warnings","events","offset"}. Exit code 2 when the source is not a registry at \
            all (nothing is written): it lists no plugin, or most of its entries are skipped while it would \
            withdraw more than half of the registry's plugins (unless --allow-withdraw), or, without --name, the \
            registry of its base name was synced from another source; or with --strict when an entry was skipped \
            (the valid ones are still synced).
            Examples: annals plugin sync ../shared/data/elizaos-registry; annals plugin sync plugins.json --group acme
            """)

    @OptionGroup var location: StoreLocation

    @Argument(help: "A registry file, a directory with the ElizaOS files, or an http(s) URL.")
    var source: String

    @Option(
        name: .customLong("group"),
        help: ArgumentHelp("Sync as this organization's private registry.", valueName: "org"))
    var organization: String?

    @Option(
        help: """
            The registry's name (default: the source's base name). Needed to sync a source other than the one \
            the registry of that name was synced from: it moves the registry there.
            """)
    var name: String?

    @Flag(help: "Exit with code 2 when any entry or release was skipped.")
    var strict = false

    @Flag(
        help: """
            Sync even when most entries are skipped and more than half of the registry's plugins would be withdrawn.
            """)
    var allowWithdraw = false

    @OptionGroup var actor: ActorOption

    func validate() throws {
        try OrganizationOption.check(organization)
        if let name, let problem = PluginPlatform.registryNameProblem(name) {
            throw ValidationError("--name: \(problem)")
        }
    }

    func run() throws {
        let store = try location.openCheckingEveryPage(writing: true)
        defer { store.close() }
        let platform = PluginPlatform(store: store)
        let scope = try PluginScope(organization: organization)
        let (source, name, allowWithdraw, actor) = (RegistrySource(source), name, allowWithdraw, actor.actor)
        let report = try blocking {
            try await platform.sync(
                source, scope: scope, name: name, allowingWithdrawal: allowWithdraw, actorId: actor)
        }
        for warning in report.warnings { CLIFailure.printError("warning: \(source.location): \(warning)") }
        for problem in report.problems { CLIFailure.printError("skipped \(problem)") }
        try Output.standard.line(report.json.canonicalBytes)
        if strict, !report.problems.isEmpty {
            let count = report.problems.count
            throw CLIFailure(
                .invalidInput, "\(count) \(count == 1 ? "entry was" : "entries were") skipped (--strict)")
        }
    }
}
