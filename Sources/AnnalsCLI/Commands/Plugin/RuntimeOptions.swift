import AnnalsPlatform
import AnnalsSandbox
import ArgumentParser
import Foundation

/// `--secrets FILE`, `--isolation`, `--fuel`, `--timeout`, `--memory-pages`: how plugin executions run.
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
    var fuel: UInt64 = SandboxLimits().fuel

    @Option(help: "The wall-clock limit of an execution, in seconds.")
    var timeout: Double = 5

    @Option(help: "The most linear memory an execution may use, in 64 KiB pages.")
    var memoryPages: Int = SandboxLimits().maxMemoryPages

    func check() throws {
        guard timeout > 0, timeout <= 86_400 else {
            throw ValidationError("--timeout must be within (0, 86400] seconds")
        }
        guard (1...65_536).contains(memoryPages) else { throw ValidationError("--memory-pages must be within 1…65536") }
        guard fuel > 0 else { throw ValidationError("--fuel must be positive") }
    }

    /// The limits these options give.
    var limits: SandboxLimits {
        SandboxLimits(fuel: fuel, maxMemoryPages: memoryPages, timeout: .milliseconds(Int64(timeout * 1_000)))
    }

    /// The secrets file in effect, if any.
    var secretsFile: String? {
        secrets ?? ProcessInfo.processInfo.environment["ANNALS_SECRETS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The arguments that give a child process (the background job runner) the same settings.
    var childArguments: [String] {
        var arguments = ["--isolation", isolation.rawValue]
        if let secretsFile { arguments += ["--secrets", secretsFile] }
        return arguments
    }

    /// A runtime over `store` with these options.
    func runtime(_ store: Annals.EventStore) throws -> PluginRuntime {
        let secrets: any SecretStore = try secretsFile.map { try StaticSecrets(contentsOfFile: $0) } ?? StaticSecrets()
        let isolation: ExecutionIsolation =
            switch self.isolation {
            case .inProcess: .inProcess
            case .worker: .workerProcesses(executable: CurrentExecutable.path, count: 2)
            }
        return PluginRuntime(store: store, secrets: secrets, isolation: isolation, limits: limits)
    }
}

import Annals

/// The path of the running `annals` binary (what worker processes and background job runners are started from).
enum CurrentExecutable {
    static var path: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
