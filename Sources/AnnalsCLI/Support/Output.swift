#if canImport(Glibc)
    import Glibc
#endif

/// Thrown when stdout's reader went away (`EPIPE`): the command ends quietly with status 0.
enum OutputClosed: Error {
    case pipe
}

/// Buffered writes to a file descriptor, reporting a closed pipe as ``OutputClosed/pipe``; a non-blocking descriptor
/// that is full is waited for (`poll`), as a blocking one would be.
final class Output {
    /// Standard output.
    nonisolated(unsafe) static let standard = Output(fd: 1)

    private let fd: Int32
    private var buffer: [UInt8] = []
    private let capacity = 64 << 10

    init(fd: Int32) {
        self.fd = fd
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
    func flush() throws {
        var written = 0
        while written < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
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
}
