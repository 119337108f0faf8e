import CAnnalsSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One worker process, seen from the parent: its pid and its end of the socket pair.
final class WorkerProcess: @unchecked Sendable {
    let pid: pid_t
    let fd: Int32
    /// The modules this worker has been sent.
    var loaded: Set<UInt64> = []
    /// Set (under the lock) once the worker was killed; it is then never reused.
    private let lock = ConditionLock()
    private var killed = false

    private init(pid: pid_t, fd: Int32) {
        self.pid = pid
        self.fd = fd
    }

    /// Starts `executable sandbox-worker --parent-pid PID` with a socket as its standard input and output.
    ///
    /// The worker inherits nothing else but standard error: every other descriptor of this process (a store's
    /// files open for writing, other workers' sockets) is closed in the child. It is started from the
    /// ``WorkerSpawner`` thread, so the parent-death signal it sets fires only when this process dies.
    static func start(executable: String) throws(SandboxFailure) -> WorkerProcess {
        var sockets: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0
        else {
            throw SandboxFailure(.trap, "cannot create a socket pair: \(String(cString: strerror(errno)))")
        }
        let (child, parent) = (sockets[1], getpid())
        let (status, pid) = WorkerSpawner.shared.run { spawn(executable, socket: child, parent: parent) }
        close(child)
        guard status == 0 else {
            close(sockets[0])
            throw SandboxFailure(
                .trap, "cannot start the worker \(executable): \(String(cString: strerror(status)))")
        }
        return WorkerProcess(pid: pid, fd: sockets[0])
    }

    /// `posix_spawn` of the worker with `socket` as its descriptors 0 and 1, closing every descriptor from 3 up.
    /// Returns the `posix_spawn` status and the child's pid.
    private static func spawn(_ executable: String, socket: Int32, parent: pid_t) -> (Int32, pid_t) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, socket, 0)
        posix_spawn_file_actions_adddup2(&actions, socket, 1)
        if annals_spawn_close_from(&actions, 3) != 0 {
            // Without closefrom in the C library: close what is open now (only a descriptor another thread opens
            // meanwhile can get through).
            for descriptor in openDescriptors() where descriptor > 2 {
                posix_spawn_file_actions_addclose(&actions, descriptor)
            }
        }
        let arguments = [executable, "sandbox-worker", "--parent-pid", String(parent)]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        var status = posix_spawn(&pid, executable, &actions, nil, &argv, environ)
        // A just-written executable can still be open for writing in a child another thread is forking.
        var attempts = 0
        while status == ETXTBSY && attempts < 20 {
            attempts += 1
            usleep(10_000)
            status = posix_spawn(&pid, executable, &actions, nil, &argv, environ)
        }
        return (status, pid)
    }

    /// The descriptors open in this process, from `/proc/self/fd`.
    private static func openDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        var descriptors: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let descriptor = Int32(name), descriptor != dirfd(directory) { descriptors.append(descriptor) }
        }
        return descriptors
    }

    /// Kills the worker (SIGKILL) unless already done; safe from any thread.
    func kill() {
        lock.withLock {
            guard !killed else { return }
            killed = true
            _ = Glibc.kill(pid, SIGKILL)
        }
    }

    /// Closes the connection and reaps the process; returns how it ended, for messages.
    @discardableResult
    func reap() -> String {
        close(fd)
        var status: Int32 = 0
        var reaped = waitpid(pid, &status, 0)
        while reaped < 0 && errno == EINTR { reaped = waitpid(pid, &status, 0) }
        // Without a status (another waiter reaped it), say so rather than report a clean exit that did not happen.
        guard reaped == pid else {
            return "ended with an unknown status (waitpid: \(String(cString: strerror(errno))))"
        }
        let signal = status & 0x7F
        if signal != 0 { return "killed by signal \(signal)" }
        return "exited with status \((status >> 8) & 0xFF)"
    }

    /// Closes the connection so the worker exits, then reaps it.
    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        reap()
    }

    /// Waits until `fd` is readable or `deadline` (monotonic ns) passes; `false` on timeout.
    func waitReadable(until deadline: UInt64) -> Bool {
        while true {
            let now = monotonicNow()
            guard now < deadline else { return false }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min((deadline - now) / 1_000_000 + 1, UInt64(Int32.max)))
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return true }
        }
    }
}
