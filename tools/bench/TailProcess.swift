import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A child process (`annals tail -f …`) whose standard output is read on a dedicated thread, each line's event
/// offset time-stamped the moment the `read` that delivered it returned.
///
/// The child's stdout is a pipe enlarged to 1 MiB and drained into a 1 MiB buffer, so the child never blocks on a
/// full pipe; its stdin is `/dev/null` and its stderr is the benchmark's.
/// ```swift
/// let tail = try TailProcess(executable: try TailProcess.annalsExecutable(),
///                            arguments: ["tail", "-f", "--store", path, "--format", "jsonl"])
/// defer { tail.terminate() }
/// try tail.waitUntilIdle()
/// … append …
/// _ = tail.waitForOffset(last, timeout: 10)
/// let arrivals = try tail.stop()   // offset → CLOCK_MONOTONIC ns
/// ```
final class TailProcess: @unchecked Sendable {
    /// The pipe capacity asked for with `F_SETPIPE_SZ`.
    static let pipeCapacity: Int32 = 1 << 20
    /// The reader thread's buffer.
    static let readBufferSize = 1 << 20
    /// `F_SETPIPE_SZ` from `<fcntl.h>` (a `_GNU_SOURCE` constant Swift does not import).
    private static let setPipeSize: Int32 = 1031

    /// The child's process id.
    let pid: pid_t
    /// The read end of the child's stdout pipe.
    private let output: Int32
    /// Guards everything below and signals new lines and the reader's end.
    private let condition = NSCondition()
    /// Offset → when its line was read (first arrival wins).
    private var arrivals: [UInt64: UInt64] = [:]
    /// The largest offset read so far.
    private var largestOffset: UInt64 = 0
    /// The first line that did not start with `{"offset":N`, if any.
    private var malformedLine: String?
    /// Whether the reader thread has seen end of file (or a read error).
    private var readerFinished = false
    /// The child's wait status once it has been reaped.
    private var exitStatus: Int32?

    /// The `annals` executable next to this `annals-bench` executable (`.build/release/annals` for a release build).
    /// - Throws: ``BenchError`` saying how to build it when it is missing or not executable.
    static func annalsExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        var benchPath =
            length > 0
            ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : CommandLine.arguments[0]
        if !benchPath.contains("/") { benchPath = "./" + benchPath }
        let directory = String(benchPath[..<benchPath.lastIndex(of: "/")!])
        let candidate = (directory.isEmpty ? "" : directory) + "/annals"
        guard access(candidate, X_OK) == 0 else {
            throw BenchError(
                call: "access(\(candidate))", code: errno,
                message: "the annals CLI is not next to annals-bench; build it first with "
                    + "`swift build -c release --product annals`")
        }
        return candidate
    }

    /// Starts `executable` with `arguments` and begins reading its stdout.
    /// - Throws: ``BenchError`` naming the call (`pipe`, `posix_spawn`) that failed.
    init(executable: String, arguments: [String]) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw BenchError(call: "pipe", code: errno, message: String(cString: strerror(errno)))
        }
        // Neither end may leak into other children; the child gets the write end as its stdout through dup2.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // Best effort: a smaller pipe only means the child may block sooner when the benchmark falls behind.
        _ = fcntl(fds[0], Self.setPipeSize, Self.pipeCapacity)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)  // dup2 clears FD_CLOEXEC on the copy.
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The child starts with no blocked signals and the default SIGINT, SIGTERM and SIGPIPE handling, whatever
        // this thread has (the Swift runtime's threads may block signals, which a child would inherit).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signalNumber in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signalNumber) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let code = posix_spawn(&child, executable, &actions, &attributes, &argv, environ)
        close(fds[1])
        guard code == 0 else {
            close(fds[0])
            throw BenchError(call: "posix_spawn(\(executable))", code: code, message: String(cString: strerror(code)))
        }
        pid = child
        output = fds[0]
        let thread = Thread { [self] in readLines() }
        thread.name = "bench.tail-reader"
        thread.start()
    }

    deinit { terminate() }

    /// Reads the child's stdout until end of file, recording each line's offset with the time its `read` returned.
    private func readLines() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readBufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var partial: [UInt8] = []
        while true {
            let count = read(output, buffer.baseAddress, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            let now = monotonicNanoseconds()
            var lines: [(UInt64?, ArraySlice<UInt8>)] = []
            var lineStart = 0
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            for index in 0..<count where bytes[index] == UInt8(ascii: "\n") {
                let line: ArraySlice<UInt8>
                if partial.isEmpty {
                    line = ArraySlice(bytes[lineStart..<index])
                } else {
                    partial += bytes[lineStart..<index]
                    line = partial[...]
                    partial = []
                }
                lines.append((Self.offset(of: line), line))
                lineStart = index + 1
            }
            partial += bytes[lineStart..<count]
            condition.lock()
            for (offset, line) in lines {
                guard let offset else {
                    if malformedLine == nil { malformedLine = String(decoding: line.prefix(200), as: UTF8.self) }
                    continue
                }
                if arrivals[offset] == nil { arrivals[offset] = now }
                largestOffset = max(largestOffset, offset)
            }
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        readerFinished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The offset of a JSON line that starts `{"offset":N`, or `nil`.
    static func offset(of line: ArraySlice<UInt8>) -> UInt64? {
        let prefix = #"{"offset":"#.utf8
        guard line.count > prefix.count, line.starts(with: prefix) else { return nil }
        var value: UInt64 = 0
        var digits = 0
        for byte in line.dropFirst(prefix.count) {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { break }
            value = value &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// Waits until a line for `offset` (or a later one) has been read; `false` after `timeout` seconds, or when
    /// the child's output ended first.
    func waitForOffset(_ offset: UInt64, timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while largestOffset < offset {
            if readerFinished || !condition.wait(until: deadline) { return largestOffset >= offset }
        }
        return true
    }

    /// Waits until every thread of the child sleeps and the child has used no CPU for `quiet` seconds: it has
    /// started up and is waiting for a commit.
    /// - Throws: ``BenchError`` when the child exits, or is still busy after `timeout` seconds.
    func waitUntilIdle(quiet: Double = 0.1, timeout: Double = 20) throws {
        let start = monotonicNanoseconds()
        var lastCPU: UInt64?
        var quietSince = start
        while true {
            try checkRunning()
            let now = monotonicNanoseconds()
            let cpu = cpuNanoseconds()
            if cpu == nil || cpu != lastCPU || !allThreadsSleeping() {
                lastCPU = cpu
                quietSince = now
            } else if Double(now - quietSince) / 1e9 >= quiet {
                return
            }
            if Double(now - start) / 1e9 > timeout {
                throw BenchError(
                    call: "annals tail", code: 0, message: "still busy \(whole(timeout)) s after it was started")
            }
            usleep(10_000)
        }
    }

    /// Throws if the child has exited (reaping it).
    private func checkRunning() throws {
        if exitStatus == nil {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { exitStatus = status }
        }
        if let status = exitStatus {
            throw BenchError(
                call: "annals tail", code: status,
                message: "exited early (wait status \(status))" + (malformedLine.map { "; it printed: \($0)" } ?? ""))
        }
    }

    /// The CPU time all the child's threads have used, from `/proc/PID/task/*/schedstat`, or `nil` if unreadable.
    private func cpuNanoseconds() -> UInt64? {
        var total: UInt64 = 0
        for task in taskIDs() {
            guard let text = Self.readSmallFile("/proc/\(pid)/task/\(task)/schedstat"),
                let field = text.split(separator: " ").first, let value = UInt64(field)
            else { return nil }
            total += value
        }
        return total
    }

    /// Whether every thread of the child is in state `S` (interruptible sleep), from `/proc/PID/task/*/stat`.
    private func allThreadsSleeping() -> Bool {
        let tasks = taskIDs()
        guard !tasks.isEmpty else { return false }
        for task in tasks {
            guard let text = Self.readSmallFile("/proc/\(pid)/task/\(task)/stat"),
                let close = text.lastIndex(of: ")")
            else { return false }
            let state = text[text.index(after: close)...].drop { $0 == " " }.first
            if state != "S" { return false }
        }
        return true
    }

    /// The thread ids under `/proc/PID/task`.
    private func taskIDs() -> [String] {
        guard let directory = opendir("/proc/\(pid)/task") else { return [] }
        defer { closedir(directory) }
        var ids: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.first?.isNumber == true { ids.append(name) }
        }
        return ids
    }

    /// The contents of a small file such as one under `/proc`, or `nil` if it cannot be read.
    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: bytes[0..<count], as: UTF8.self)
    }

    /// Ends the child with SIGTERM (SIGKILL after 5 s), reaps it, waits for the reader to drain its output, and
    /// returns every offset read with the time it was read.
    /// - Throws: ``BenchError`` when a line had no offset.
    func stop() throws -> [UInt64: UInt64] {
        terminate()
        condition.lock()
        defer { condition.unlock() }
        if let malformedLine {
            throw BenchError(
                call: "annals tail", code: 0, message: "printed a line without an offset: \(malformedLine)")
        }
        return arrivals
    }

    /// Ends and reaps the child if that has not happened yet, and waits for the reader thread to finish; idempotent.
    func terminate() {
        if exitStatus == nil {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            let deadline = monotonicNanoseconds() + 5_000_000_000
            while waitpid(pid, &status, WNOHANG) == 0 {
                if monotonicNanoseconds() > deadline {
                    kill(pid, SIGKILL)
                    waitpid(pid, &status, 0)
                    break
                }
                usleep(2_000)
            }
            exitStatus = status
        }
        // The child's exit closed the pipe's write end, so the reader reaches end of file.
        let deadline = Date(timeIntervalSinceNow: 5)
        condition.lock()
        while !readerFinished && condition.wait(until: deadline) {}
        let done = readerFinished
        condition.unlock()
        if done { closeOutputOnce() }
    }

    /// Whether ``output`` has been closed.
    private var outputClosed = false

    /// Closes the pipe once the reader no longer uses it.
    private func closeOutputOnce() {
        guard !outputClosed else { return }
        outputClosed = true
        close(output)
    }

    /// The child's exit code if it exited normally, or `nil` (still running, or killed by a signal).
    var exitCode: Int32? {
        guard let status = exitStatus, status & 0x7f == 0 else { return nil }
        return (status >> 8) & 0xff
    }
}
