import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What the CLI tests of `plugin run --async` jobs share: submitting a job, reading where it stands, and the runner
/// processes it starts.
extension CLIFixture {
    /// Runs `plugin run PLUGIN ACTION --group acme --async ARGUMENTS`, expecting success; returns the job id.
    func submitJob(
        _ plugin: String, _ action: String, _ arguments: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let submitted = try run(
            ["plugin", "run", plugin, action, "--group", "acme", "--async"] + arguments + ["--store", store],
            sourceLocation: sourceLocation)
        try #require(submitted.status == Exit.ok, "\(submitted)", sourceLocation: sourceLocation)
        return try #require(
            try submitted.object(sourceLocation: sourceLocation).string("job"), sourceLocation: sourceLocation)
    }

    /// Starts a `runaway` job that runs until it is cancelled (or its 20 s limit ends it), with one slot for the
    /// organization's jobs (`--job-concurrency 1`), and waits up to 30 s for it to be running; returns its id.
    func startEndlessJob(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let id = try submitJob(
            "runaway", "run", ["--fuel", "100000000000000", "--timeout", "20", "--job-concurrency", "1"],
            sourceLocation: sourceLocation)
        try #require(
            try waitUntil(timeout: 30, interval: 0.05) { try executionEvents(id).last == "plugin_action_initiated" },
            "job \(id) did not start", sourceLocation: sourceLocation)
        return id
    }

    /// The types of the events of execution `id`, oldest first: its state is the last one's. Read from its stream,
    /// not with `plugin jobs`, which would first record an execution whose runner was killed as abandoned.
    func executionEvents(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        try annals("read", "--target", "execution:\(id)", sourceLocation: sourceLocation).objects(
            sourceLocation: sourceLocation
        ).compactMap { $0.string("type") }
    }

    /// The offset of the event of type `type` of execution `id`.
    func executionEventOffset(
        _ id: String, _ type: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Int? {
        try annals("read", "--target", "execution:\(id)", "--type", type, sourceLocation: sourceLocation).objects(
            sourceLocation: sourceLocation
        ).first?.int("offset")
    }

    /// The process id of the runner of job `id`, as its `plugin_job_queued` event records it.
    func runnerProcess(of id: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> pid_t? {
        let queued = try annals(
            "read", "--target", "execution:\(id)", "--type", "plugin_job_queued", sourceLocation: sourceLocation)
        return queued.objects(sourceLocation: sourceLocation).first?.object("metadata")?.object("host")?.int("pid")
            .map { pid_t($0) }
    }

    /// The process ids of the `annals plugin run-job` processes of this fixture's store, from `/proc`.
    var jobRunners: [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = pid_t(entry), let bytes = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let arguments = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.contains("run-job") && arguments.contains(store) ? pid : nil
        }
    }

    /// The processor time process `pid` has used so far, in seconds (user and system, from `/proc/PID/stat`).
    static func processorSeconds(of pid: pid_t) -> Double? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // The fields after the command's name (which may hold spaces, inside parentheses): utime and stime are the
        // 14th and 15th fields of the line, the 12th and 13th after it.
        guard let end = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Kills the job runners still running.
    func killJobRunners() {
        for pid in jobRunners { kill(pid, SIGKILL) }
    }

    /// Writes `module` to `NAME.wasm` in the fixture directory and a registry of it (one release, 1.0.0, declaring
    /// its action) to `NAME.json`, syncs that registry (named `NAME`, beside any other) and installs `name` in acme;
    /// returns the module's path.
    @discardableResult
    func installBuiltPlugin(
        _ name: String, _ module: WasmModuleBuilder, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let artifact = path("\(name).wasm")
        try Data(module.bytes).write(to: URL(fileURLWithPath: artifact))
        let digest = try runProcess("/usr/bin/env", ["sha256sum", artifact]).output.prefix(64)
        let manifest =
            #"{"format": "annals.plugins/1", "plugins": [{"name": "\#(name)", "versions": [{"version": "1.0.0", "#
            + #""actions": [{"name": "\#(module.action)"}], "artifact": {"path": "\#(artifact)", "#
            + #""sha256": "\#(digest)"}}]}]}"#
        try manifest.write(toFile: path("\(name).json"), atomically: true, encoding: .utf8)
        let synced = try annals("plugin", "sync", path("\(name).json"), "--name", name, sourceLocation: sourceLocation)
        try #require(synced.status == Exit.ok, "\(synced)", sourceLocation: sourceLocation)
        let installed = try annals("plugin", "install", name, "--group", "acme", sourceLocation: sourceLocation)
        try #require(installed.status == Exit.ok, "\(installed)", sourceLocation: sourceLocation)
        return artifact
    }

    /// A module whose `run` action returns `{}`, starting with `memoryPages` pages of memory.
    static func emptyObjectModule(memoryPages: UInt32 = 1) -> WasmModuleBuilder {
        var module = WasmModuleBuilder()
        module.memoryPages = memoryPages
        module.dataSegments = [(offset: 40_000, bytes: Array("{}".utf8))]
        module.output = (40_000, 2)
        return module
    }
}
