import AnnalsPlatform
import ArgumentParser

/// `--job-concurrency N`: how many async jobs of one organization run at once, for `plugin run --async` and the
/// runner it starts (`plugin run-job`), which is the process that waits for a slot.
struct JobConcurrencyOption: ParsableArguments {
    /// The most `--job-concurrency` accepts.
    static let maximum = 256

    @Option(
        help: ArgumentHelp(
            "With --async: how many jobs of the organization may run at once (1…\(Self.maximum)); the job waits, "
                + "queued, while that many run (default \(PluginRuntime.defaultJobConcurrency)).",
            valueName: "n"))
    var jobConcurrency: WholeNumber<Int>?

    /// The setting in effect.
    var value: Int { jobConcurrency?.value ?? PluginRuntime.defaultJobConcurrency }

    /// Checks the range (exit 64 outside it), and that it was given only where a job waits for a slot.
    /// - Parameter async: Whether the command runs an async job (a synchronous `plugin run` takes no slot: the option
    ///   would be ignored without a word).
    func check(async: Bool) throws {
        guard jobConcurrency != nil else { return }
        guard async else { throw ValidationError("--job-concurrency applies to --async jobs only") }
        guard (1...Self.maximum).contains(value) else {
            throw ValidationError("--job-concurrency must be within 1…\(Self.maximum)")
        }
    }

    /// The arguments that give the runner the same setting.
    var childArguments: [String] { ["--job-concurrency", String(value)] }
}
