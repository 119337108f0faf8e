#if canImport(Glibc)
    import Glibc
#endif

/// Thrown when stdout's reader went away (`EPIPE`), or when a stop signal arrived while a write waited for a
/// reader that had stopped reading: the command ends quietly with status 0.
enum OutputClosed: Error {
    case pipe
    /// A stop signal (``StopSignals``) interrupted a write that was blocked.
    case stopped
}

/// Buffered writes to a file descriptor, reporting a closed pipe as ``OutputClosed/pipe``; a non-blocking descriptor
/// that is full is waited for (`poll`), as a blocking one would be.
final class Output {
    /// Standard output.
    nonisolated(unsafe) static let standard = Output(fd: 1)

    private let fd: Int32
    private var buffer: [UInt8] = []
    private let capacity = 64 << 10

    /// Whether a write to the descriptor can block: a pipe, a socket or a terminal (a regular file or `/dev/null`
    /// never makes a writer wait for a reader).
    private let mayBlock: Bool

    /// Whether the descriptor is a pipe (a FIFO): one that takes a write of at most `PIPE_BUF` bytes whole or not at
    /// all.
    private let isPipe: Bool

    init(fd: Int32) {
        self.fd = fd
        mayBlock = descriptorMayBlock(fd)
        var status = stat()
        isPipe = fstat(fd, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO
        buffer.reserveCapacity(capacity)
    }

    /// Queues `bytes` and a newline; flushes when the buffer is full.
    func line(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        buffer.append(0x0A)
        if buffer.count >= capacity { try flush() }
    }

    /// Queues `text` and a newline.
    func line(_ text: String) throws {
        try line(Array(text.utf8))
    }

    /// Appends to the buffer through `body` and then a newline (avoids a copy for events).
    func line(_ body: (inout [UInt8]) -> Void) throws {
        body(&buffer)
        buffer.append(0x0A)
        if buffer.count >= capacity { try flush() }
    }

    /// Writes everything buffered.
    ///
    /// To a pipe, the buffer goes out in pieces that the pipe takes without leaving one half written, each cut after
    /// its last whole line: into an empty pipe as much as it holds (it takes that without waiting), otherwise at most
    /// `PIPE_BUF` bytes (it takes those whole, or waits and takes nothing). So a command killed while its reader is
    /// slow (`annals read | consumer`, then SIGTERM) leaves the reader whole lines only (unless a single line is
    /// longer than `PIPE_BUF`), where one large write to a full pipe would leave it the part that fitted, cut inside a
    /// line. A fast reader keeps the pipe empty, and gets large writes.
    ///
    /// Once ``StopSignals`` are installed (`tail`, `append`), and when the descriptor is one whose writes can block
    /// (a pipe, a socket, a terminal; not a regular file), a stop signal must also end a write that a reader which
    /// stopped reading would block for ever. The signal may be delivered to another thread, so no `EINTR` is to be
    /// counted on: each piece, at most `PIPE_BUF` bytes to a socket or a terminal, waits until the descriptor can take
    /// it (`poll`), which a pipe ready for writing does without blocking. A stop ends the flush only when the
    /// descriptor has taken nothing for a quarter of a second: a reader that still reads gets the rest, and one that
    /// stopped is left with whole lines.
    /// - Throws: ``OutputClosed/pipe``, ``OutputClosed/stopped``, or a ``CLIFailure`` for another failed write.
    func flush() throws {
        // Only a write that can block needs watching for a stop; others go out in one call.
        let stoppable = StopSignals.installed && mayBlock
        var written = 0
        while written < buffer.count {
            if stoppable { try waitUntilWritable() }
            let piece =
                isPipe
                ? wholeLines(from: written, atMost: pipeTakesAtOnce())
                : stoppable ? wholeLines(from: written, atMost: Int(PIPE_BUF)) : buffer.count - written
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + written, piece) }
            if n < 0 {
                // A stop signal is acted on by `waitUntilWritable`, once the reader has stopped taking output.
                if errno == EINTR { continue }
                // A non-blocking descriptor (handed over by an event-loop parent) whose reader is slow: wait until
                // it can take more, rather than fail with half a line written.
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, -1)
                    continue
                }
                buffer.removeAll(keepingCapacity: true)
                if errno == EPIPE { throw OutputClosed.pipe }
                throw CLIFailure(.storage, "cannot write to standard output: \(String(cString: strerror(errno)))")
            }
            written += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The most a write to the pipe may hold and still be taken whole, without waiting or not at all: the pipe's
    /// size when it is empty (`FIONREAD`, `F_GETPIPE_SZ`), `PIPE_BUF` otherwise (a partly filled pipe may have less
    /// room than its free bytes: its pages are not shared between writes that do not fit together).
    private func pipeTakesAtOnce() -> Int {
        var queued: Int32 = 0
        guard ioctl(fd, UInt(FIONREAD), &queued) == 0, queued == 0 else { return Int(PIPE_BUF) }
        // F_GETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 8), which Glibc exports to Swift only under _GNU_SOURCE.
        return max(Int(PIPE_BUF), Int(fcntl(fd, 1_032)))
    }

    /// Waits until the descriptor can take a write (or reports an error or a hang-up, which the write will report).
    /// - Throws: ``OutputClosed/stopped`` once a stop signal came and the descriptor took nothing for 250 ms.
    private func waitUntilWritable() throws {
        while true {
            var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let polled = poll(&ready, 1, 250)
            if polled > 0 { return }
            // The signal itself interrupts the poll: only a quarter of a second without room counts.
            if polled == 0 && StopSignals.received {
                buffer.removeAll(keepingCapacity: true)
                throw OutputClosed.stopped
            }
        }
    }

    /// How many bytes from `start` to write in one piece: at most `limit`, cut after the last newline among them
    /// when the buffer goes on past them (all `limit` of them when there is none: a line longer than that).
    private func wholeLines(from start: Int, atMost limit: Int) -> Int {
        let end = min(buffer.count, start + limit)
        guard end < buffer.count, let newline = buffer[start..<end].lastIndex(of: 0x0A) else { return end - start }
        return newline + 1 - start
    }
}

/// Whether reading or writing `fd` can wait for another process: a pipe, a socket or a terminal (a regular file or
/// `/dev/null` never does). A descriptor that cannot be examined counts as one that can wait.
func descriptorMayBlock(_ fd: Int32) -> Bool {
    var status = stat()
    let type = fstat(fd, &status) == 0 ? status.st_mode & S_IFMT : S_IFIFO
    return type == S_IFIFO || type == S_IFSOCK || type == S_IFCHR
}
