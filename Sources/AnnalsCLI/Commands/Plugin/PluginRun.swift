import Annals
import AnnalsPlatform
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `annals plugin run NAME ACTION --group ORG --input JSON [--async]`.
struct PluginRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an installed plugin's action in the sandbox, audited; --async returns a job id at once.",
        discussion: """
            Appends plugin_action_initiated, runs the action (WebAssembly, within --fuel, --memory-pages and \
            --timeout, with only the capabilities granted to the install), then plugin_action_executed or \
            plugin_action_failed. Prints {"id","plugin","version","action","group","status","output" | "errorKind", \
            "error","fuelUsed","peakMemoryBytes","durationMs",…}. A failed execution exits 13. Only an action the \
            installed release declares in its manifest runs: any other exits 4, naming the actions it declares, and \
            nothing is recorded. --async starts the job \
            in a background process and prints {"job","state":"queued","offset"}; follow it with `plugin jobs`. \
            The job waits, queued, while --job-concurrency jobs of the organization run (default 4). \
            Executions abandoned by a killed host are recorded first (plugin_action_abandoned).
            Examples: annals plugin run price-feed quote --group acme --input '{"symbol":"BTC","amount":2}'; \
            annals plugin run report build --group acme --input '{}' --async --timeout 600
            """)

    @OptionGroup var location: StoreLocation

    @Argument(help: "The installed plugin.")
    var name: String

    @Argument(help: "The action.")
    var action: String

    @OptionGroup var organization: OrganizationOption

    @Option(help: "The action's input, a JSON text.")
    var input = "{}"

    @Flag(name: .customLong("async"), help: "Run as a background job and print its id at once.")
    var runAsync = false

    @OptionGroup var runtimeOptions: RuntimeOptions
    @OptionGroup var concurrency: JobConcurrencyOption
    @OptionGroup var actor: ActorOption

    func validate() throws {
        try organization.check()
        try runtimeOptions.check()
        try concurrency.check(async: runAsync)
    }

    func run() throws {
        let store = try location.openCheckingEveryPage(writing: true)
        defer { store.close() }
        let runtime = try runtimeOptions.runtime(store)
        let (name, action, org, input, actor) = (name, action, organization.organization, input, actor.actor)
        try runtime.recoverAbandoned(actorId: actor, organization: org)
        if runAsync {
            let ticket = try blocking {
                try await runtime.submitToProcess(
                    name, action: action, organization: org, input: input, actorId: actor,
                    limits: runtimeOptions.limits
                ) { id in
                    try BackgroundRunner.start(
                        ["plugin", "run-job", id, "--store", location.path, "--actor", actor]
                            + runtimeOptions.childArguments + concurrency.childArguments)
                }
            }
            try Output.standard.line(ticket.json.canonicalBytes)
            return
        }
        let outcome = try blocking {
            try await runtime.run(name, action: action, organization: org, input: input, actorId: actor)
        }
        try Output.standard.line(outcome.json.canonicalBytes)
        if !outcome.succeeded {
            try Output.standard.flush()
            throw CLIFailure(.executionFailed, "\(name).\(action) failed: \(outcome.failure!.description)")
        }
    }
}

/// `annals plugin run-job ID`: the background process of `plugin run --async` (internal).
struct PluginRunJob: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-job", abstract: "Run a queued plugin job (internal: started by plugin run --async).",
        shouldDisplay: false)

    @OptionGroup var location: StoreLocation
    @Argument(help: "The job id.") var id: String
    @OptionGroup var runtimeOptions: RuntimeOptions
    @OptionGroup var concurrency: JobConcurrencyOption
    @OptionGroup var actor: ActorOption

    func validate() throws { try concurrency.check(async: true) }

    func run() throws {
        let store = try location.openCheckingEveryPage(writing: true)
        defer { store.close() }
        let runtime = try runtimeOptions.runtime(store, jobConcurrency: concurrency.value)
        let (id, actor) = (id, actor.actor)
        _ = try blocking { try await runtime.runQueuedJob(id, actorId: actor) }
    }
}

/// Starts `annals ARGUMENTS` as a detached background process (its own session, output discarded).
enum BackgroundRunner {
    /// - Returns: The child's process id.
    static func start(_ arguments: [String]) throws -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (glibc 2.26+): a session of its own, so the runner outlives this command and its
        // terminal. Glibc declares it only under _GNU_SOURCE, so Swift does not import it.
        let setSession: Int16 = 0x80
        posix_spawnattr_setflags(&attributes, setSession)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(
                &actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        // Nothing else is inherited: not this process's store files, and not the pipes or sockets of whoever
        // started this command (a runner holding them would keep a caller waiting for end-of-file until the job
        // ends).
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        let executable = CurrentExecutable.path
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw CLIFailure(.storage, "cannot start the background job runner: \(String(cString: strerror(status)))")
        }
        return pid
    }
}
