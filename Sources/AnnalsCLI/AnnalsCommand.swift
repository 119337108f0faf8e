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
            Every command takes --store PATH (or the ANNALS_STORE environment variable; \
            default ./annals-store). Output is JSON lines unless --format table is given; \
            errors go to stderr. See docs/CLI.md.

            Exit codes:
              0  success                        7  output closed during append
              1  verification found damage      8  event rejected by a projection
              2  invalid input                  9  projection unavailable
              3  conflict (version, cursor)    10  plugin dependencies unresolvable
              4  not found                     11  plugin permissions not granted
              5  storage error                 12  plugin pinned
              6  corrupt record                13  plugin execution failed
             64  invalid arguments            129  append stopped by SIGHUP
            130  append stopped by SIGINT     143  append stopped by SIGTERM
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, Append.self, Get.self, Read.self, Head.self, Verify.self, Stats.self, Dict.self, Backup.self,
            Tail.self, Cursors.self, Replay.self, Audit.self,
            Rebuild.self, Reindex.self, Snapshot.self, State.self, Rollback.self,
            Things.self, Connections.self, Graph.self, Knowledge.self, Search.self, PluginCommand.self,
            SandboxWorkerCommand.self,
        ])

    /// Ignores SIGPIPE so that a closed pipe shows up as `EPIPE` on write, which ends the command quietly, and
    /// SIGXFSZ so that a write past the file size limit (`ulimit -f`) fails with an error naming the limit instead
    /// of killing the process.
    static func main() {
        StandardDescriptors.reserveClosed()
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        // `tail` ends cleanly on SIGINT, SIGTERM and SIGHUP: handled from here on, not only once its options are
        // parsed, so a supervisor that stops a consumer it just started gets exit 0 (only the loading before `main` is
        // uncovered).
        // `append` stops between batches on them and says how far it got; a second one ends it at once.
        switch CommandLine.arguments.dropFirst().first {
        case "tail": StopSignals.install()
        case "append": StopSignals.install(secondIsFinal: true)
        default: break
        }
        do {
            var command = try parseAsRoot(NegativeOptionValues.joined(Array(CommandLine.arguments.dropFirst())))
            try command.run()
            try Output.standard.flush()
        } catch {
            try? Output.standard.flush()
            exit(withError: CLIFailure.map(error))
        }
    }
}
