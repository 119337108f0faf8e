import AnnalsSandbox
import ArgumentParser

/// `annals sandbox-worker`: a hidden subcommand, the worker process of the plugin sandbox's process isolation.
///
/// Started by the sandbox's worker pool with a socket on standard input and output; it is not meant to be run by
/// hand.
struct SandboxWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox-worker",
        abstract: "Serve plugin executions for a parent process (internal).",
        shouldDisplay: false)

    @Option(help: "The most virtual memory the worker may map, in MiB.")
    var addressSpaceMegabytes = WholeNumber(WorkerProcessLimits().addressSpaceBytes >> 20)

    @Option(help: "The most CPU time the worker may use over its life, in seconds.")
    var cpuSeconds = WholeNumber(WorkerProcessLimits().cpuSeconds)

    @Option(help: "The pid of the parent process; the worker exits at once if it is no longer its parent.")
    var parentPid: WholeNumber<Int32>?

    func run() throws {
        let status = SandboxWorker.run(
            limits: WorkerProcessLimits(
                addressSpaceBytes: addressSpaceMegabytes.value << 20, cpuSeconds: cpuSeconds.value),
            parent: parentPid?.value)
        if status != 0 { throw ExitCode(status) }
    }
}
