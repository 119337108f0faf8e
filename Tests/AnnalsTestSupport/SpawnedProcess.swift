import CAnnalsSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`, for tests that start many of them.
///
/// Foundation's `Process.run()` on Linux lists `/proc/self/fd` to close the child's other descriptors, and copies
/// each `dirent`'s whole 256-byte name field from glibc's buffer: when a short record ends that buffer next to an
/// unmapped page, the copy faults (swift-corelibs-foundation pull request 5472). The test process, which starts
/// thousands of commands with hundreds of descriptors open, crashed there now and then. This spawn closes the
/// child's descriptors from 3 up with `posix_spawn_file_actions_addclosefrom_np` instead, in the child.
///
/// The child gets every signal's default disposition (the test process ignores `SIGPIPE`) and the calling thread's
/// signal mask. A thread reaps it as soon as it exits: ``isRunning`` and ``waitForExit(timeout:)`` read what it
/// found.
public final class SpawnedProcess: @unchecked Sendable {
    /// The child's process id.
    public let pid: pid_t
    private let exit = NSCondition()
    /// The child's wait status, once it has been reaped.
    private var status: Int32?

    /// Why a spawn failed: the call and its `errno`.
    public struct Failure: Error, CustomStringConvertible {
        /// What failed: `posix_spawn of PATH`, or the file action that could not be added.
        public let call: String
        /// The `errno`.
        public let code: Int32
        /// `CALL: REASON`.
        public var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    /// Starts `executable` with `arguments` (after `argv[0]`, which is `executable`) and exactly `environment`, in
    /// `directory` (or the current one), with `standardInput`, `standardOutput` and `standardError` as its
    /// descriptors 0, 1 and 2 and no other descriptor open.
    /// - Throws: ``Failure`` when a file action cannot be added or `posix_spawn` fails (no such executable).
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String? = nil,
        standardInput: Int32, standardOutput: Int32, standardError: Int32
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (descriptor, target) in [(standardInput, 0), (standardOutput, 1), (standardError, 2)] as [(Int32, Int32)] {
            let code = posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            guard code == 0 else { throw Failure(call: "adddup2(\(descriptor), \(target))", code: code) }
        }
        var code = annals_spawn_close_from(&actions, 3)
        guard code == 0 else { throw Failure(call: "addclosefrom_np(3)", code: code) }
        if let directory {
            code = annals_spawn_change_directory(&actions, directory)
            guard code == 0 else { throw Failure(call: "addchdir_np(\(directory))", code: code) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var spawned = pid_t()
        code = posix_spawn(&spawned, executable, &actions, &attributes, argv, envp)
        guard code == 0 else { throw Failure(call: "posix_spawn of \(executable)", code: code) }
        let pid = spawned
        self.pid = pid
        let reaper = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            exit.lock()
            self.status = status
            exit.broadcast()
            exit.unlock()
        }
        reaper.start()
    }

    /// Whether the child has not exited yet (or has, and is not reaped yet: a moment).
    public var isRunning: Bool {
        exit.lock()
        defer { exit.unlock() }
        return status == nil
    }

    /// Waits up to `timeout` seconds (forever when `nil`) for the child to exit; its wait status, or `nil` when it
    /// is still running.
    @discardableResult
    public func waitForExit(timeout: Double? = nil) -> Int32? {
        exit.lock()
        defer { exit.unlock() }
        guard let timeout else {
            // `wait(until: .distantFuture)` traps: the date does not fit a `timespec`.
            while status == nil { exit.wait() }
            return status
        }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while status == nil && exit.wait(until: deadline) {}
        return status
    }

    /// The exit code, or the number of the signal that ended the child; `nil` while it runs.
    public var terminationStatus: Int32? {
        guard let status = waitForExit(timeout: 0) else { return nil }
        return Self.wasSignaled(status) ? status & 0x7F : (status >> 8) & 0xFF
    }

    /// Whether a signal ended the child; `nil` while it runs.
    public var wasSignaled: Bool? { waitForExit(timeout: 0).map(Self.wasSignaled) }

    /// `WIFSIGNALED`: the low seven bits name a signal (neither 0, an exit, nor 0x7F, a stop).
    private static func wasSignaled(_ status: Int32) -> Bool {
        let signal = status & 0x7F
        return signal != 0 && signal != 0x7F
    }

    /// A pipe whose two ends are closed on exec (set just after it is made: a child spawned from another thread in
    /// between gets them too, unless it closes its other descriptors, as ``SpawnedProcess`` children do).
    public static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else { throw Failure(call: "pipe", code: errno) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    /// Starts `executable` with `arguments` in this process's environment, with `/dev/null` as its standard input,
    /// output and error.
    public static func start(_ executable: String, _ arguments: [String] = []) throws -> SpawnedProcess {
        let nothing = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(nothing) }
        return try SpawnedProcess(
            executable, arguments, environment: ProcessInfo.processInfo.environment, standardInput: nothing,
            standardOutput: nothing, standardError: nothing)
    }

    /// Runs `executable` with `arguments` in this process's environment, standard input `/dev/null`, and waits for
    /// it to end.
    /// - Returns: Its exit code (or the signal that ended it) and what it wrote to standard output and error, in
    ///   the order it wrote them.
    public static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: [UInt8]) {
        let ends = try pipe()
        let nothing = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(nothing) }
        let process: SpawnedProcess
        do {
            defer { close(ends.write) }
            process = try SpawnedProcess(
                executable, arguments, environment: ProcessInfo.processInfo.environment, standardInput: nothing,
                standardOutput: ends.write, standardError: ends.write)
        } catch {
            close(ends.read)
            throw error
        }
        let output = FileHandle(fileDescriptor: ends.read, closeOnDealloc: true).readDataToEndOfFile()
        process.waitForExit()
        return (process.terminationStatus ?? -1, [UInt8](output))
    }

    /// Sends `signal` to the child while it runs.
    public func kill(_ signal: Int32) {
        exit.lock()
        defer { exit.unlock() }
        // Under the lock, so that a child reaped meanwhile, whose pid may be another process's by now, is not sent it.
        if status == nil { _ = Glibc.kill(pid, signal) }
    }
}
