import Annals
import AnnalsPlatform
import ArgumentParser
import Foundation

/// `annals plugin explain NAME --group ORG`.
struct PluginExplain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show why a plugin is installed: the chains of requirements back to what the organization asked for.",
        discussion: """
            Prints one JSON line: {"name","version","requested","chains":[[…]],"truncated","dependencies":[…]}, or \
            readable lines with --format table. At most 50 chains are listed; "truncated" is true when there are \
            more. Exit code 4 when it is not installed.
            Example: annals plugin explain http-client --group acme
            """)

    @Argument(help: "The installed plugin.")
    var name: String

    @OptionGroup var options: OrganizationReadOptions

    func validate() throws { try options.organization.check() }

    func run() throws {
        let explanation = try options.read { platform, org in try platform.explain(name, organization: org) }
        guard options.format == .table else {
            try Output.standard.line(explanation.json.canonicalBytes)
            return
        }
        try Output.standard.line("\(explanation.install.name)@\(explanation.install.version) is installed because:")
        for chain in explanation.chains { try Output.standard.line("  " + chain.joined(separator: " → ")) }
        if explanation.truncated {
            try Output.standard.line("  … and more chains: only the first \(explanation.chains.count) are listed")
        }
        if !explanation.dependencies.isEmpty {
            try Output.standard.line("its dependencies:")
            for dependency in explanation.dependencies { try Output.standard.line("  " + dependency) }
        }
    }
}
