import Annals
import AnnalsPlatform
import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// `annals plugin jobs [--group ORG]`.
struct PluginJobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List plugin executions and jobs, newest first, with their state.",
        discussion: """
            One JSON line per execution: {"id","group","plugin","action","state","errorKind","result","firstOffset", \
            "lastOffset"}; state is queued, running, executed, failed, cancelled or abandoned. Executions whose \
            process died without an outcome are first recorded as abandoned (read-write).
            Example: annals plugin jobs --group acme --format table
            """)

    @OptionGroup var location: StoreLocation

    @Option(name: .customLong("group"), help: ArgumentHelp("Only this organization's.", valueName: "org"))
    var organization: String?

    @Option(help: "At most this many, 1…10000.")
    var limit: WholeNumber<Int> = 100

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    @OptionGroup var actor: ActorOption

    func validate() throws {
        try OrganizationOption.check(organization)
        guard (1...10_000).contains(limit.value) else { throw ValidationError("--limit must be within 1…10000") }
    }

    func run() throws {
        let store = try location.openCheckingEveryPage(writing: true)
        defer { store.close() }
        let runtime = PluginRuntime(store: store)
        try runtime.recoverAbandoned(actorId: actor.actor, organization: organization)
        let jobs = try runtime.jobs(organization: organization, limit: limit.value)
        try Output.standard.items(
            jobs, format: format, json: \.json,
            columns: ["ID", "GROUP", "PLUGIN", "ACTION", "STATE", "ERROR", "OFFSETS"]
        ) { job in
            [
                job.id, job.organization, job.plugin, job.action, job.state.rawValue, job.errorKind ?? "-",
                "\(job.firstOffset)–\(job.lastOffset)",
            ]
        }
    }
}

/// `annals plugin cancel JOB`.
struct PluginCancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a plugin job: a queued one never starts, a running one stops with 'cancelled'.",
        discussion: """
            Prints {"job","state"}: the state after the request (cancelled for a queued job; running while the \
            process running it stops it, which records plugin_action_failed with errorKind cancelled). \
            Exit code 4 for an unknown job. Example: annals plugin cancel 5f0c…
            """)

    @OptionGroup var location: StoreLocation
    @Argument(help: "The job id.") var job: String
    @OptionGroup var actor: ActorOption

    func run() throws {
        let store = try location.openCheckingEveryPage(writing: true)
        defer { store.close() }
        let runtime = PluginRuntime(store: store)
        let (job, actor) = (job, actor.actor)
        let state = try blocking { try await runtime.cancel(job: job, actorId: actor) }
        try Output.standard.line(
            JSONValue.object(["job": .string(job), "state": .string(state.rawValue)]).canonicalBytes)
    }
}

/// `annals plugin subscriptions [--group ORG]`.
struct PluginSubscriptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscriptions",
        abstract: "List the installed plugins that react to events: their event types, cursors and dead letters.",
        discussion: """
            One JSON line per plugin instance: {"group","plugin","version","types","cursor","position", \
            "deadLetters"}. Example: annals plugin subscriptions --group acme
            """)

    @OptionGroup var location: StoreLocation

    @Option(name: .customLong("group"), help: ArgumentHelp("Only this organization's.", valueName: "org"))
    var organization: String?

    func validate() throws { try OrganizationOption.check(organization) }

    func run() throws {
        let store = try location.openCheckingEveryPage(writing: false)
        defer { store.close() }
        let dispatcher = PluginDispatcher(runtime: PluginRuntime(store: store), organization: organization)
        for subscription in try dispatcher.subscriptions() {
            try Output.standard.line(subscription.json.canonicalBytes)
        }
    }
}

/// `annals plugin dispatch [--group ORG] [--follow]`.
struct PluginDispatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch",
        abstract: "Deliver pending events to the plugins that subscribe to them (--follow: keep delivering).",
        discussion: """
            Each plugin instance has a durable cursor; delivery is at least once (the cursor moves with the \
            outcome), retried with exponential backoff up to --max-attempts, then dead-lettered. Prints \
            {"delivered","retried","deadLettered","problems"} (with --follow, one line per pass that delivered anything; \
            SIGINT, SIGTERM or SIGHUP stops it at the next batch, at once during a retry's backoff, and never \
            dead-letters the event waiting for its retry). Example: annals plugin dispatch --group acme --follow
            """)

    @OptionGroup var location: StoreLocation

    @Option(name: .customLong("group"), help: ArgumentHelp("Only this organization's plugins.", valueName: "org"))
    var organization: String?

    @Flag(help: "Keep delivering new events until stopped.")
    var follow = false

    @Option(help: "Attempts per event before it is dead-lettered.")
    var maxAttempts: WholeNumber<Int> = 5

    @Option(help: "The delay before the first retry, in milliseconds (it doubles each time).")
    var backoffMs: WholeNumber<Int> = 100

    @OptionGroup var runtimeOptions: RuntimeOptions
    @OptionGroup var actor: ActorOption

    func validate() throws {
        try OrganizationOption.check(organization)
        try runtimeOptions.check()
        guard (1...100).contains(maxAttempts.value) else {
            throw ValidationError("--max-attempts must be within 1…100")
        }
        guard (0...60_000).contains(backoffMs.value) else {
            throw ValidationError("--backoff-ms must be within 0…60000")
        }
    }

    func run() throws {
        let store = try location.openCheckingEveryPage(writing: true)
        defer { store.close() }
        let runtime = try runtimeOptions.runtime(store)
        try runtime.recoverAbandoned(actorId: actor.actor, organization: organization)
        // The store's pages were checked at the open; --follow reads events appended later, checked per batch.
        let dispatcher = PluginDispatcher(
            runtime: runtime, organization: organization, maxAttempts: maxAttempts.value,
            backoff: .milliseconds(backoffMs.value), actorId: actor.actor, checksPages: follow)
        guard follow else {
            let report = try blocking { try await dispatcher.runOnce() }
            try Output.standard.line(report.json.canonicalBytes)
            if let organization, try !dispatcher.hasSubscriptions() {
                CLIFailure.printError(
                    "organization '\(organization)' has no plugin subscribed to events: nothing to dispatch")
            }
            return
        }
        // Held until it stops: a one-shot `plugin dispatch` (or another --follow) exits 3 meanwhile.
        let reservation = try dispatcher.reserve()
        defer { reservation.release() }
        StopSignals.install()
        var reportedProblems: [String] = []
        while !StopSignals.received {
            // A stop cancels the pass: it ends at its next batch, and at once while a failed event waits for its retry
            // (that event is not dead-lettered; the next dispatcher delivers it again).
            let report = try blocking { try await StopSignals.cancellingOnStop { try await dispatcher.runOnce() } }
            let worked = report.delivered + report.retried + report.deadLettered > 0
            if worked || report.problems != reportedProblems {
                try Output.standard.line(report.json.canonicalBytes)
                try Output.standard.flush()
                reportedProblems = report.problems
            }
            if !worked { usleep(20_000) }
        }
    }
}

/// `annals plugin dead-letters [--group ORG] [--retry]`.
struct PluginDeadLetters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List the events plugins could not handle after every retry; --retry delivers them once more.",
        discussion: """
            One JSON line per dead letter: {"id","group","plugin","eventOffset","eventType","attempts","errorKind", \
            "error","resolved"}, with the attempts and the failure of the latest attempt. --retry runs each \
            unresolved one once more, records a success as plugin_dead_letter_resolved and a failure as another \
            plugin_dead_letter with one attempt more and the new error, then prints them. A module refused before it \
            could start is such a failure (moduleRefused): the other letters are still retried and printed, then the \
            command exits 2 naming the first refusal. Example: annals plugin dead-letters --group acme --retry
            """)

    @OptionGroup var location: StoreLocation

    @Option(name: .customLong("group"), help: ArgumentHelp("Only this organization's.", valueName: "org"))
    var organization: String?

    @Flag(help: "Deliver each unresolved dead letter once more.")
    var retry = false

    @OptionGroup var runtimeOptions: RuntimeOptions
    @OptionGroup var actor: ActorOption

    func validate() throws {
        try OrganizationOption.check(organization)
        try runtimeOptions.check()
    }

    func run() throws {
        let store = try location.openCheckingEveryPage(writing: retry)
        defer { store.close() }
        let letters: [DeadLetter]
        var refusal: PlatformError?
        if retry {
            let dispatcher = PluginDispatcher(
                runtime: try runtimeOptions.runtime(store), organization: organization, actorId: actor.actor)
            let retried = try blocking { try await dispatcher.retryDeadLetters() }
            (letters, refusal) = (retried.letters, retried.refusal)
        } else {
            letters = try PluginDispatcher.deadLetters(store, organization: organization)
        }
        for letter in letters { try Output.standard.line(letter.json.canonicalBytes) }
        if let refusal {
            // Every letter was retried and printed; the refused module still fails the command (exit 2).
            try Output.standard.flush()
            throw refusal
        }
    }
}
