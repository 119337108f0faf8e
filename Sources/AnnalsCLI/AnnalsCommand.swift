import Annals
import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// The `annals` command-line tool: one subcommand per operation on a store.
@main
struct AnnalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annals",
        abstract: "An embedded, append-only event log: append, read, verify and maintain an Annals store.",
        discussion: """
            Every command takes --store PATH (or the ANNALS_STORE environment variable; default ./annals-store).
            Output is JSON lines unless --format table is given; errors go to stderr.
            Exit codes: 0 success, 1 verification found damage, 2 invalid input, 3 version conflict,
            4 not found, 5 storage error, 6 corrupt record, 7 output closed during append, 8 event rejected by
            a projection, 9 projection unavailable, 10 plugin dependencies unresolvable, 11 plugin
            permissions not granted, 12 plugin pinned, 64 invalid arguments.
            See docs/CLI.md.
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, Append.self, Get.self, Read.self, Head.self, Verify.self, Stats.self, Dict.self, Backup.self,
            Tail.self, Cursors.self, Replay.self, Audit.self,
            Rebuild.self, Snapshot.self, State.self, Rollback.self,
            Things.self, Connections.self, Graph.self, Knowledge.self, Search.self, PluginCommand.self,
            SandboxWorkerCommand.self,
        ])

    /// Ignores SIGPIPE so that a closed pipe shows up as `EPIPE` on write, which ends the command quietly.
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
            try Output.standard.flush()
        } catch {
            try? Output.standard.flush()
            exit(withError: CLIFailure.map(error))
        }
    }
}
