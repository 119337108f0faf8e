#if canImport(Glibc)
    import Glibc
#endif

/// Set by SIGINT, SIGTERM and SIGHUP; long-running commands check it between steps.
nonisolated(unsafe) private var stopSignalReceived: sig_atomic_t = 0
/// Set by ``StopSignals/install()``.
nonisolated(unsafe) private var stopSignalsInstalled = false

/// SIGINT, SIGTERM and SIGHUP handling for commands that run until stopped (`tail -f`): the signal interrupts any
/// wait (no `SA_RESTART`), and the command ends cleanly at its next check. SIGHUP (the terminal or session of a script
/// that started the command went away) stops it as SIGTERM does, unless it was ignored when the command started
/// (`nohup`), which asks for the command to outlive its terminal: it stays ignored then.
enum StopSignals {
    /// Installs the handlers, and unblocks the signals in case the parent process started us with them blocked
    /// (a blocked signal mask is inherited across `exec`).
    static func install() {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        sigaddset(&unblock, SIGHUP)
        sigaddset(&unblock, SIGPIPE)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            if signalNumber == SIGHUP && isIgnored(SIGHUP) { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in stopSignalReceived = 1 }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signalNumber, &action, nil)
        }
        stopSignalsInstalled = true
    }

    /// Whether `signalNumber`'s disposition is to be ignored (`SIG_IGN`, as `nohup` leaves SIGHUP across `exec`).
    private static func isIgnored(_ signalNumber: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(signalNumber, nil, &current) == 0 else { return false }
        // SIG_DFL is the null handler; SIG_IGN is handler 1.
        guard let handler = current.__sigaction_handler.sa_handler else { return false }
        return unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    /// Whether ``install()`` ran: the command ends on SIGINT, SIGTERM and SIGHUP at its next check, so its writes to
    /// standard output must not block without checking (``Output``).
    static var installed: Bool { stopSignalsInstalled }

    /// Whether a stop was requested.
    static var received: Bool { stopSignalReceived != 0 }
}

/// Whether standard output's reader has gone: a pipe whose reading end was closed (`POLLERR`), or a socket or
/// terminal that hung up (`POLLHUP`; a parent such as Node.js hands its children socket pairs). `tail -f` ends then,
/// even when no new event would make a write fail.
func standardOutputIsClosedPipe() -> Bool {
    var descriptor = pollfd(fd: 1, events: 0, revents: 0)
    guard poll(&descriptor, 1, 0) > 0 else { return false }
    return descriptor.revents & Int16(POLLERR | POLLHUP) != 0
}
