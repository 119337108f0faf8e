import AnnalsPlatform
import AnnalsSandbox
import ArgumentParser
import Foundation

/// `--secrets FILE`, `--isolation`, `--fuel`, `--timeout`, `--memory-pages`, and the write limits (`--max-writes`,
/// `--max-write-bytes`, `--max-kv-bytes`, `--cascade-limit`): how plugin executions run.
struct RuntimeOptions: ParsableArguments {
    /// Where executions run.
    enum Isolation: String, ExpressibleByArgument, CaseIterable {
        case inProcess = "in-process"
        case worker
    }

    @Option(
        help: ArgumentHelp(
            "A JSON file {\"ORG or *\": {\"NAME\": \"value\"}} of the secrets plugins may read (default: "
                + "$ANNALS_SECRETS_FILE). Plugins read them only through the secrets host call.",
            valueName: "file"))
    var secrets: String?

    @Option(help: "in-process (default, fastest) or worker (each execution in a worker process with rlimits).")
    var isolation: Isolation = .inProcess

    @Option(help: "The fuel (instruction budget) of an execution.")
    var fuel = WholeNumber(SandboxLimits().fuel)

    @Option(help: "The wall-clock limit of an execution, in seconds.")
    var timeout = DecimalSeconds(5)

    @Option(help: "The most linear memory an execution may use, in 64 KiB pages.")
    var memoryPages = WholeNumber(SandboxLimits().maxMemoryPages)

    @Option(help: "The most successful events_append and kv_set calls of one execution.")
    var maxWrites = WholeNumber(PluginWriteLimits().maxWrites)

    @Option(help: "The most bytes one execution may write through events_append and kv_set.")
    var maxWriteBytes = WholeNumber(PluginWriteLimits().maxBytes)

    @Option(help: "The most bytes of a plugin's key/value state in one organization.")
    var maxKvBytes = WholeNumber(PluginWriteLimits().maxKVStateBytes)

    @Option(help: "How many plugin appends deep an event may be (plugins feeding each other events stop there).")
    var cascadeLimit = WholeNumber(PluginRuntime.defaultCascadeLimit)

    func check() throws {
        // Limits are kept (and recorded, `limits.timeoutMs`) in whole milliseconds: a shorter one would become 0 ms.
        guard timeout.seconds >= 0.001, timeout.seconds <= 86_400 else {
            throw ValidationError("--timeout must be within 0.001…86400 seconds (at least one millisecond)")
        }
        guard (1...65_536).contains(memoryPages.value) else {
            throw ValidationError("--memory-pages must be within 1…65536")
        }
        guard fuel.value > 0 else { throw ValidationError("--fuel must be positive") }
        guard (0...Self.maximumWrites).contains(maxWrites.value) else {
            throw ValidationError("--max-writes must be within 0…\(Self.maximumWrites)")
        }
        guard (0...Self.maximumBytes).contains(maxWriteBytes.value) else {
            throw ValidationError("--max-write-bytes must be within 0…\(Self.maximumBytes)")
        }
        guard (0...Self.maximumBytes).contains(maxKvBytes.value) else {
            throw ValidationError("--max-kv-bytes must be within 0…\(Self.maximumBytes)")
        }
        guard (1...Self.maximumCascadeLimit).contains(cascadeLimit.value) else {
            throw ValidationError("--cascade-limit must be within 1…\(Self.maximumCascadeLimit)")
        }
    }

    /// The most `--max-writes` accepts.
    static let maximumWrites = 1_000_000
    /// The most `--max-write-bytes` and `--max-kv-bytes` accept: 1 GiB.
    static let maximumBytes = 1 << 30
    /// The most `--cascade-limit` accepts.
    static let maximumCascadeLimit = 1_000

    /// The write limits these options give.
    var writeLimits: PluginWriteLimits {
        PluginWriteLimits(maxWrites: maxWrites.value, maxBytes: maxWriteBytes.value, maxKVStateBytes: maxKvBytes.value)
    }

    /// The limits these options give.
    var limits: SandboxLimits {
        SandboxLimits(
            fuel: fuel.value, maxMemoryPages: memoryPages.value, timeout: .milliseconds(Int64(timeout.seconds * 1_000)))
    }

    /// The secrets file in effect, if any.
    var secretsFile: String? {
        secrets ?? ProcessInfo.processInfo.environment["ANNALS_SECRETS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The arguments that give a child process (the background job runner) the same settings.
    var childArguments: [String] {
        var arguments = ["--isolation", isolation.rawValue]
        if let secretsFile { arguments += ["--secrets", secretsFile] }
        // The sandbox limits travel with the job's record; the write limits are the runtime's, so they are passed on.
        arguments += [
            "--max-writes", String(maxWrites.value), "--max-write-bytes", String(maxWriteBytes.value), "--max-kv-bytes",
            String(maxKvBytes.value), "--cascade-limit", String(cascadeLimit.value),
        ]
        return arguments
    }

    /// A runtime over `store` with these options (and `jobConcurrency`, which only `plugin run --async` and its
    /// runner set).
    func runtime(
        _ store: Annals.EventStore, jobConcurrency: Int = PluginRuntime.defaultJobConcurrency
    ) throws -> PluginRuntime {
        let secrets: any SecretStore = try secretsFile.map { try StaticSecrets(contentsOfFile: $0) } ?? StaticSecrets()
        let isolation: ExecutionIsolation =
            switch self.isolation {
            case .inProcess: .inProcess
            case .worker: .workerProcesses(executable: CurrentExecutable.path, count: 2)
            }
        return PluginRuntime(
            store: store, secrets: secrets, isolation: isolation, limits: limits, jobConcurrency: jobConcurrency,
            cascadeLimit: cascadeLimit.value, writeLimits: writeLimits)
    }
}

import Annals

/// The path of the running `annals` binary (what worker processes and background job runners are started from).
enum CurrentExecutable {
    static var path: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
