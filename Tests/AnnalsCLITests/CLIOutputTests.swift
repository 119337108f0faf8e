import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// How commands write their output: a non-blocking standard output (what an event-loop parent such as Node often
/// hands its children) read slowly gets every line, whole; and a command killed while its reader has stopped
/// reading leaves that reader whole lines.
@Suite struct CLIOutputTests {
    @Test(.timeLimit(.minutes(10)))
    func aSlowReaderOfANonBlockingPipeGetsEveryLine() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3_000))
            let expected = try fx.annals("read").output
            try #require(expected.count > 4 * 65_536, "more than a pipe holds: \(expected.count) bytes")

            var ends: [Int32] = [0, 0]
            try #require(pipe(&ends) == 0)
            let (readEnd, writeEnd) = (ends[0], ends[1])
            defer { close(readEnd) }
            #expect(fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK) == 0)
            // Spawned directly, so that the child's stdout is exactly this descriptor and the parent keeps no copy.
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
            posix_spawn_file_actions_addclose(&actions, readEnd)
            posix_spawn_file_actions_addclose(&actions, writeEnd)
            let words: [String] = [fx.binary, "read", "--store", fx.store]
            let arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
            defer { arguments.forEach { free($0) } }
            var pid: pid_t = 0
            try #require(posix_spawn(&pid, fx.binary, &actions, nil, arguments, environ) == 0)
            close(writeEnd)

            // Read slowly, so that the pipe is full whenever the command writes.
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                received += chunk[0..<n]
                usleep(2_000)
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            #expect(status == 0, "exit status \(status >> 8)")
            // Compared as one Bool: a failed comparison of two arrays this long would be diffed element by element.
            let whole = received == Array(expected.utf8)
            #expect(whole, "\(received.count) of \(expected.utf8.count) bytes")
        }
    }

    /// `read` and `replay` do not handle SIGTERM and SIGINT: the signal ends them, also while a write to a pipe
    /// whose reader stopped reading is blocked. What the reader then finds in the pipe is whole lines, since each
    /// write is a piece a pipe takes whole or not at all, ending after a line (one large write would have left the
    /// part of it that fitted, cut inside a line).
    @Test(.timeLimit(.minutes(10)), arguments: [["read"], ["replay"]], [SIGTERM, SIGINT])
    func aCommandKilledWhileItsReaderStalledLeavesWholeLines(_ command: [String], _ signal: Int32) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(20_000))
            let output = try SpawnedProcess.pipe()
            defer { close(output.read) }
            // F_GETPIPE_SZ (Linux's F_LINUX_SPECIFIC_BASE + 8; Glibc exports it to Swift only under _GNU_SOURCE).
            let capacity = fcntl(output.read, 1_032)
            try #require(capacity > 0)
            let nothing = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { close(nothing) }
            // Signals unblocked, so that the signal reaches the child as it would from a shell.
            let process = try withSignalsUnblocked {
                try SpawnedProcess(
                    fx.binary, command + ["--store", fx.store], environment: ProcessInfo.processInfo.environment,
                    standardInput: nothing, standardOutput: output.write, standardError: nothing)
            }
            close(output.write)
            // Nothing is read: once the pipe holds half of what it can, the command's writes block, or soon will
            // (it has megabytes to print). Where it is killed does not matter: every write ends after a line.
            let filling = waitUntil(timeout: 120) {
                var queued: Int32 = 0
                return ioctl(output.read, UInt(FIONREAD), &queued) == 0 && queued >= capacity / 2
                    || !process.isRunning
            }
            #expect(filling && process.isRunning, "the command did not fill the pipe and wait")
            process.kill(signal)
            process.waitForExit()
            #expect(process.wasSignaled == true && process.terminationStatus == signal, "the signal ended it")
            let received = [UInt8](FileHandle(fileDescriptor: output.read, closeOnDealloc: false).readDataToEndOfFile())
            #expect(!received.isEmpty && received.last == 0x0A, "\(received.count) bytes, the last line cut off")
            let lines = received.split(separator: 0x0A)
            let events = lines.compactMap { JSONObject(String(decoding: $0, as: UTF8.self)) }
            #expect(events.count == lines.count, "every line is a whole JSON object")
            #expect(events.compactMap { $0.int("offset") } == Array(1...events.count), "the events in order, none lost")
        }
    }
}
