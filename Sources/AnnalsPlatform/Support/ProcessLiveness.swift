import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Whether a process of this host still runs, as recovery of abandoned executions asks it.
enum ProcessLiveness {
    /// Whether process `pid` still runs: it exists (`kill(pid, 0)` does not fail with `ESRCH`; a process of another
    /// user, `EPERM`, counts) and has not exited. A process that exited but that its parent has not yet waited for (a
    /// zombie, state `Z` or `X` in `/proc/PID/stat`) runs nothing and holds no lock any more, so it counts as gone:
    /// a `plugin run-job` runner killed while its parent is still alive is such a process. Where `/proc` cannot be
    /// read, `kill` alone decides. The corresponding C function is `kill`.
    static func isRunning(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno != ESRCH else { return false }
        return !isZombie(pid)
    }

    /// Whether `/proc/PID/stat` gives `pid` the state of a process that has exited, `Z` (zombie) or `X` (dead), with
    /// no thread left running. The state is the main thread's: one that ended alone (`pthread_exit`) shows `Z` while
    /// the process's other threads run on, so a `Z` with more than one thread in `/proc/PID/task` is a live process.
    /// `false` when it cannot be read.
    static func isZombie(_ pid: pid_t) -> Bool {
        guard let state = state(of: pid), state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") else { return false }
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"))?.count ?? 0
        return threads <= 1
    }

    /// The state letter of `pid` in `/proc/PID/stat`: the first field after the command name, which is in
    /// parentheses and may itself hold spaces and parentheses (so the last `)` ends it).
    private static func state(of pid: pid_t) -> UInt8? {
        guard pid > 0, let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
            let end = data.lastIndex(of: UInt8(ascii: ")"))
        else { return nil }
        return data[(end + 1)...].first { $0 != UInt8(ascii: " ") }
    }
}
