import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// How commands write their output: a non-blocking standard output (what an event-loop parent such as Node often
/// hands its children) read slowly gets every line, whole.
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
}
