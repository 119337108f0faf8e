/// What ``PluginDispatcher/retryDeadLetters()`` did: every dead letter after the retry, and the first module that
/// was refused before it could start, if any.
public struct DeadLetterRetry: Sendable {
    /// The dead letters after the retry, oldest first, as ``PluginDispatcher/deadLetters(_:organization:)`` lists
    /// them: resolved by a success, or with one attempt more and the new failure.
    public var letters: [DeadLetter]
    /// The first ``PlatformError/moduleRefused(plugin:version:reason:)`` of the retry, naming the plugin and why:
    /// that letter's attempt was recorded as a failed execution and on the letter (`moduleRefused`), and the other
    /// letters were still retried. `nil` when every module could start.
    public var refusal: PlatformError?
}
