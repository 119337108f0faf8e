#if canImport(Glibc)
    import Glibc
#endif

/// Set by SIGINT, SIGTERM and SIGHUP; long-running commands check it between steps.
nonisolated(unsafe) private var stopSignalReceived: sig_atomic_t = 0
/// The number of the last stop signal received (0 before any).
nonisolated(unsafe) private var stopSignalNumber: sig_atomic_t = 0
/// Set by ``StopSignals/install()``.
nonisolated(unsafe) private var stopSignalsInstalled = false
/// Whether a second stop signal ends the process at once, as if no handler were installed.
nonisolated(unsafe) private var secondStopSignalIsFinal: sig_atomic_t = 0

/// SIGINT, SIGTERM and SIGHUP handling for commands that run until stopped (`tail -f`) or that must say how far they
/// got when stopped (`append`): the signal interrupts any wait (no `SA_RESTART`), and the command ends cleanly at its
/// next check. SIGHUP (the terminal or session of a script that started the command went away) stops it as SIGTERM
/// does, unless it was ignored when the command started (`nohup`), which asks for the command to outlive its terminal:
/// it stays ignored then.
enum StopSignals {
    /// Installs the handlers, and unblocks the signals in case the parent process started us with them blocked
    /// (a blocked signal mask is inherited across `exec`).
    /// - Parameter secondIsFinal: Whether a second stop signal ends the process at once, as it would without the
    ///   handlers (exit 130, 143 or 129 as a shell reports it): for a command that may wait for something a first
    ///   stop cannot interrupt, such as `append` waiting for another process's write transaction.
    static func install(secondIsFinal: Bool = false) {
        secondStopSignalIsFinal = secondIsFinal ? 1 : 0
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
            action.__sigaction_handler.sa_handler = { signalNumber in
                if stopSignalReceived != 0 && secondStopSignalIsFinal != 0 {
                    // Async-signal-safe: the default disposition back, and the signal raised again, ends the process.
                    signal(signalNumber, SIG_DFL)
                    raise(signalNumber)
                    return
                }
                stopSignalNumber = signalNumber
                stopSignalReceived = 1
            }
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

    /// The stop signal received, by name (`SIGINT`, `SIGTERM`, `SIGHUP`), and the exit code a shell gives a program
    /// that signal ends (128 + its number: 130, 143, 129); `nil` before any.
    static var receivedSignal: (name: String, exitCode: Int32)? {
        switch stopSignalNumber {
        case SIGINT: ("SIGINT", 128 + SIGINT)
        case SIGTERM: ("SIGTERM", 128 + SIGTERM)
        case SIGHUP: ("SIGHUP", 128 + SIGHUP)
        default: nil
        }
    }
}

/// A stop signal (``StopSignals``) came while a command waited for input.
struct InputStopped: Error {}

/// Whether standard output's reader has gone: a pipe whose reading end was closed (`POLLERR`), or a socket or
/// terminal that hung up (`POLLHUP`; a parent such as Node.js hands its children socket pairs). `tail -f` ends then,
/// even when no new event would make a write fail.
func standardOutputIsClosedPipe() -> Bool {
    var descriptor = pollfd(fd: 1, events: 0, revents: 0)
    guard poll(&descriptor, 1, 0) > 0 else { return false }
    return descriptor.revents & Int16(POLLERR | POLLHUP) != 0
}
