#if canImport(Glibc)
    import Glibc
#endif

/// Reads lines from a file descriptor as they arrive: each call returns the complete lines available now (waiting
/// for at least one), so a slow producer's lines are handled as soon as they come.
final class LineReader {
    /// A line and its number (from 1).
    struct Line {
        var number: Int
        var bytes: [UInt8]
    }

    private let fd: Int32
    private let maximumLineLength: Int
    private var pending: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 256 << 10)
    private var nextNumber = 1
    private(set) var reachedEnd = false
    /// A failure found after some complete lines: those lines are returned first, the failure on the next call.
    private var deferredFailure: CLIFailure?
    /// Whether a read can wait for a writer: a pipe, a socket or a terminal (a regular file never makes it wait).
    private let mayBlock: Bool

    init(fd: Int32, maximumLineLength: Int) {
        self.fd = fd
        self.maximumLineLength = maximumLineLength
        mayBlock = descriptorMayBlock(fd)
    }

    /// Opens `path` for reading.
    convenience init(path: String, maximumLineLength: Int) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CLIFailure(.notFound, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        // A directory opens, and fails only when read: name it as what cannot be read from.
        var status = stat()
        if fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw CLIFailure(.notFound, "cannot read \(path): it is a directory")
        }
        self.init(fd: fd, maximumLineLength: maximumLineLength)
    }

    /// The complete lines available, at least one unless the input ended (then the last, unterminated line too).
    /// - Throws: ``CLIFailure`` for a line longer than the maximum or a read error.
    func nextLines() throws -> [Line] {
        if let deferredFailure {
            reachedEnd = true
            throw deferredFailure
        }
        var lines: [Line] = []
        do {
            try readLines(into: &lines)
        } catch let failure as CLIFailure where !lines.isEmpty {
            deferredFailure = failure
        }
        return lines
    }

    private func readLines(into lines: inout [Line]) throws {
        while lines.isEmpty && !reachedEnd {
            if StopSignals.installed && mayBlock { try waitForInput() }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIFailure(.storage, "cannot read input: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                reachedEnd = true
                if !pending.isEmpty {
                    lines.append(Line(number: nextNumber, bytes: pending))
                    nextNumber += 1
                    pending = []
                }
                break
            }
            var start = 0
            for i in 0..<n where chunk[i] == 0x0A {
                pending.append(contentsOf: chunk[start..<i])
                try checkLength()
                var bytes = pending
                if bytes.last == 0x0D { bytes.removeLast() }
                lines.append(Line(number: nextNumber, bytes: bytes))
                nextNumber += 1
                pending.removeAll(keepingCapacity: true)
                start = i + 1
            }
            pending.append(contentsOf: chunk[start..<n])
            try checkLength()
        }
    }

    /// Waits until the descriptor has input (or an end or error that the read will report), checking for a stop
    /// signal every quarter of a second: the signal may be delivered to another thread, so the read itself is not
    /// counted on to be interrupted.
    /// - Throws: ``InputStopped`` once a stop signal came.
    private func waitForInput() throws {
        while true {
            if StopSignals.received { throw InputStopped() }
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&ready, 1, 250) > 0 { return }
        }
    }

    /// Refuses a line longer than ``maximumLineLength``; a `\r` at its end (of `\r\n`, or perhaps of one still
    /// arriving) does not count.
    private func checkLength() throws {
        let length = pending.last == 0x0D ? pending.count - 1 : pending.count
        if length > maximumLineLength {
            throw CLIFailure(
                .invalidInput,
                "line \(nextNumber): longer than \(maximumLineLength) bytes, the most an input line may be "
                    + "(4 × --max-event-size + 4 KiB)")
        }
    }
}
