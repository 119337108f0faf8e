#if canImport(Glibc)
    import Glibc
#endif

/// Set by SIGINT and SIGTERM; long-running commands check it between steps.
nonisolated(unsafe) private var stopSignalReceived: sig_atomic_t = 0

/// SIGINT and SIGTERM handling for commands that run until stopped (`tail -f`): the signal interrupts any wait
/// (no `SA_RESTART`), and the command ends cleanly at its next check.
enum StopSignals {
    /// Installs the handlers.
    static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in stopSignalReceived = 1 }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signalNumber, &action, nil)
        }
    }

    /// Whether a stop was requested.
    static var received: Bool { stopSignalReceived != 0 }
}
