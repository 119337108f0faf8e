import Annals
import AnnalsPlatform
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Whether the process of an open execution still runs")
struct PluginRunnerLivenessTests {
    @Test("the execution of a zombie process is recorded as abandoned")
    func zombieRunnerIsDead() async throws {
        try await withBareRuntime { runtime in
            // Never waited for until the end: once killed it stays a zombie. It sleeps long enough that only the
            // kill ends it, however slow the host.
            try await withUnwaitedProcess(["/bin/sleep", "3600"]) { pid in
                let id = UUID().lowercasedString
                _ = try await runtime.store.append(
                    initiatedEvent(id, pid: pid, hostname: ProcessInfo.processInfo.hostName))
                // Alive: its execution is left open.
                #expect(try runtime.recoverAbandoned(actorId: "host", organization: "acme").isEmpty)

                kill(pid, SIGKILL)
                try await waitUntilZombie(pid)
                #expect(kill(pid, 0) == 0, "a zombie still answers kill(pid, 0)")
                #expect(try runtime.recoverAbandoned(actorId: "host", organization: "acme").map(\.id) == [id])
                #expect(try runtime.job(id)?.state == .abandoned)
                #expect(try stateLetter(of: pid) == "Z", "it was still a zombie when recovery looked")
            }
        }
    }

    @Test("a process whose main thread ended alone (pthread_exit) while another runs is alive, though shown as Z")
    func mainThreadEndedAloneIsAlive() async throws {
        try await withBareRuntime { runtime in
            let script =
                "import threading, time, ctypes\n"
                + "threading.Thread(target=lambda: time.sleep(3600)).start()\n"
                + "ctypes.CDLL(None).pthread_exit(None)\n"
            try await withUnwaitedProcess(["/usr/bin/python3", "-c", script]) { pid in
                try await waitUntilZombie(pid)
                let id = UUID().lowercasedString
                _ = try await runtime.store.append(
                    initiatedEvent(id, pid: pid, hostname: ProcessInfo.processInfo.hostName))
                #expect(try runtime.recoverAbandoned(actorId: "host", organization: "acme").isEmpty)
                #expect(try runtime.job(id)?.state == .running)
                #expect(try stateLetter(of: pid) == "Z", "its main thread had ended when recovery looked")
            }
        }
    }

    @Test("a recorded pid that no process can have counts as dead, not as a process group nor a crash")
    func impossiblePidIsDead() async throws {
        try await withBareRuntime { runtime in
            var ids: [String] = []
            // `kill` reads 0 and -1 as process groups (alive), and 2^40 is past pid_t.
            for pid: Int64 in [0, -1, 1 << 40] {
                let id = UUID().lowercasedString
                _ = try await runtime.store.append(
                    initiatedEvent(id, pid: pid, hostname: ProcessInfo.processInfo.hostName))
                ids.append(id)
            }
            #expect(try runtime.recoverAbandoned(actorId: "host", organization: "acme").map(\.id) == ids)
        }
    }

    /// Runs `body` with a process spawned from `words` that nothing waits for until `body` ends (so that it stays a
    /// zombie once it exits); then kills it and waits for it.
    private func withUnwaitedProcess(_ words: [String], _ body: (pid_t) async throws -> Void) async throws {
        let arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        try #require(posix_spawn(&pid, words[0], nil, nil, arguments, environ) == 0)
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        try await body(pid)
    }

    /// Waits (up to 10 s) until `/proc/PID/stat` gives `pid` the state `Z`.
    private func waitUntilZombie(_ pid: pid_t) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while try stateLetter(of: pid) != "Z" {
            try #require(ContinuousClock.now < deadline, "process \(pid) never became a zombie")
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The state letter of `pid` in `/proc/PID/stat`.
    private func stateLetter(of pid: pid_t) throws -> Character? {
        let text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let end = try #require(text.lastIndex(of: ")"))
        return text[text.index(after: end)...].first { $0 != " " }
    }
}
