import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What `annals tail` holds in memory on a backlog of large events that compress well: one read chunk of them,
/// about 16 MiB decoded, not the 512 whole events of a pass.
@Suite("CLI: tail memory")
struct CLITailMemoryTests {
    /// An event of about 512 KiB that zstd stores in about a hundred bytes.
    static func compressibleLine(_ i: Int) -> String {
        #"{"type":"blob","metadata":{"i":\#(i),"blob":""# + String(repeating: "a", count: 512 << 10) + #""}}"#
    }

    /// The peak resident size of a running process in KiB (`VmHWM`): its own, from its `exec` on.
    static func peakResidentKiB(_ pid: pid_t) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    /// Starts `tail -f --cursor CURSOR ARGUMENTS` with its output on `/dev/null`, waits until its cursor reaches
    /// `offset`, and returns its peak resident size.
    static func followerPeak(
        _ fx: CLIFixture, cursor: String, _ arguments: [String] = [], through offset: Int
    ) throws -> Int {
        let tail = try withSignalsUnblocked {
            try SpawnedProcess.start(fx.binary, ["tail", "-f", "--store", fx.store, "--cursor", cursor] + arguments)
        }
        defer {
            tail.kill(SIGTERM)
            tail.waitForExit()
        }
        let caughtUp = try waitUntil(timeout: 120, interval: 0.1) { try fx.cursor(cursor)?.int("offset") == offset }
        let position = try fx.cursor(cursor)?.int("offset")
        #expect(caughtUp, "\(cursor) \(arguments): cursor at \(String(describing: position))")
        return try peakResidentKiB(tail.pid)
    }

    @Test(.timeLimit(.minutes(10)))
    func aBacklogOfCompressibleEventsIsReadOneBoundedChunkAtATime() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let count = 160
            for batch in stride(from: 0, to: count, by: 40) {
                try fx.append((batch..<batch + 40).map(Self.compressibleLine))
            }
            let stored = try fx.annals("stats").object().int("storedPayloadBytes") ?? .max
            #expect(stored < 1 << 20, "the 80 MiB of events compress to \(stored) bytes")
            // What the command holds besides the events: the same tail of a single event.
            let one = try Self.followerPeak(fx, cursor: "one", ["--from", "\(count - 1)"], through: count)
            let followers = [("all", []), ("blobs", ["--type", "blob"]), ("pattern", ["--type", "bl*"])]
            for (cursor, arguments) in followers {
                let all = try Self.followerPeak(fx, cursor: cursor, arguments, through: count)
                // One chunk is about 16 MiB of events; the 80 MiB of the backlog is not held at once.
                #expect(all - one < 40 << 10, "\(arguments): \(all) KiB at peak, \(one) KiB for one event")
            }
        }
    }
}
