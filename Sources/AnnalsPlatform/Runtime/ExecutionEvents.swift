import Annals

/// The event types of the plugin audit trail and of jobs (docs/PLUGINS.md, "Audit trail").
///
/// Every execution is its own stream, `execution:ID`, in the organization's group: an optional
/// `plugin_job_queued` (an async job), then `plugin_action_initiated`, then exactly one outcome —
/// `plugin_action_executed`, `plugin_action_failed` or `plugin_action_abandoned` — each appended with
/// `expectedVersion`, so two outcomes can never both be recorded. The id is the correlation id (and the job id).
public enum ExecutionEventType {
    /// An async job was accepted; its input is in the event.
    public static let jobQueued = "plugin_job_queued"
    /// Someone asked for a job to be cancelled (a running one stops with `cancelled`).
    public static let jobCancelRequested = "plugin_job_cancel_requested"
    /// A queued job was cancelled before it started.
    public static let jobCancelled = "plugin_job_cancelled"
    /// An execution started.
    public static let initiated = "plugin_action_initiated"
    /// An execution succeeded.
    public static let executed = "plugin_action_executed"
    /// An execution failed: `errorKind` is one of the sandbox's failure kinds.
    public static let failed = "plugin_action_failed"
    /// An execution whose host stopped before it recorded an outcome, found at the next start.
    public static let abandoned = "plugin_action_abandoned"
    /// An event a plugin could not handle after every retry (event-driven delivery).
    public static let deadLetter = "plugin_dead_letter"
    /// A dead letter was delivered again successfully (`annals plugin dead-letters --retry`).
    public static let deadLetterResolved = "plugin_dead_letter_resolved"
    /// What a recovery of abandoned executions found settled, so that the next one need not read it again
    /// (stream `plugin-recovery:ORG`, or `plugin-recovery:*` for every organization): `from`, `through` and the
    /// executions still `open` (`id`, `offset`).
    public static let recoveryCheckpoint = "plugin_recovery_checkpoint"

    /// The outcomes of an execution.
    public static let outcomes: Set<String> = [executed, failed, abandoned, jobCancelled]

    /// The stream of execution `id`.
    public static func stream(_ id: String) -> String { "execution:\(id)" }
}

/// What the audit trail records of a failure.
enum ExecutionEvents {
    /// The longest failure message an outcome records, in UTF-8 bytes: a plugin that puts what it likes into a
    /// message (a huge pattern, a huge event type) must not make its outcome too large to record.
    static let maximumMessageBytes = 1_024

    /// `message`, cut at ``maximumMessageBytes`` (on a character boundary) with a note of its full length.
    static func recordable(_ message: String) -> String {
        guard message.utf8.count > maximumMessageBytes else { return message }
        var cut = ""
        for character in message {
            guard cut.utf8.count + character.utf8.count <= maximumMessageBytes else { break }
            cut.append(character)
        }
        return cut + "… (cut; \(message.utf8.count) bytes)"
    }
}
