import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Kills a consumer, `annals tail -f --cursor C`, with SIGKILL at random moments while a writer process appends,
/// and restarts it each time: no event may be lost, and the only events printed twice are those printed after the
/// cursor's last acknowledgement before the kill (at-least-once delivery).
@Suite("CLI: consumer killed with SIGKILL")
struct CLIConsumerCrashTests {
    static let rounds = 20

    /// One event: `n` is its sequence number in the writer's input, so event n has offset n + 1.
    static func line(_ n: Int) -> String {
        eventLine(
            type: "consumer.tick", actor: "writer", target: "stream-\(n % 5)", group: "crash",
            metadata: "{\"n\":\(n),\"note\":\"event \(n)\"}")
    }

    /// What one killed consumer printed (complete lines only) and where its cursor was left.
    struct Round {
        var index: Int
        var offsets: [Int]
        var cursorAtKill: Int
    }

    @Test(.timeLimit(.minutes(10)))
    func aKilledConsumerResumesAfterItsLastAckWithNoLoss() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let started = Date()
            let writer = try fx.start(["append", "--store", fx.store])
            let stop = Locked(false)
            let sent = Locked(0)
            let feederDone = Locked(false)
            let feeder = Thread {
                var n = 0
                while !stop.withLock({ $0 }) && n < 100_000 {
                    let burst = Int.random(in: 1...12)
                    let text = (n..<n + burst).map(Self.line).joined(separator: "\n") + "\n"
                    guard writer.send(text) else { break }
                    n += burst
                    sent.withLock { $0 = n }
                    usleep(UInt32.random(in: 1_000...8_000))
                }
                writer.closeInput()
                feederDone.withLock { $0 = true }
            }
            feeder.start()
            try #require(writer.stdout.waitForLines(1, timeout: 20), "the writer is appending")

            var rounds: [Round] = []
            var cursor = 0  // The cursor before the round: the consumer must start right after it.
            for index in 0..<Self.rounds {
                let consumer = try fx.startUnblocked(["tail", "-f", "--cursor", "C", "--store", fx.store])
                if index % 2 == 0 {
                    usleep(UInt32.random(in: 20_000...400_000))
                } else {
                    consumer.stdout.waitForLines(Int.random(in: 1...400), timeout: 5)
                }
                consumer.kill(SIGKILL)
                let result = consumer.finish(timeout: 15)
                #expect(result.signaled && result.status == SIGKILL, "round \(index): \(result)")
                #expect(result.errors.isEmpty, "round \(index): \(result)")

                // Only complete lines were printed; a line cut by the kill is not.
                let events = consumer.stdout.completeLines.map { JSONObject($0) }
                #expect(events.allSatisfy { $0 != nil }, "round \(index): every complete line is an event")
                let offsets = events.compactMap { $0?.int("offset") }
                #expect(
                    events.map { $0?.object("metadata")?.int("n") } == offsets.map { $0 - 1 },
                    "round \(index): each line is the event at its offset")
                if let first = offsets.first {
                    #expect(
                        offsets == Array(first..<first + offsets.count),
                        "round \(index): in order, without gaps: \(offsets.prefix(20))…")
                    #expect(first == cursor + 1, "round \(index): resumes right after the cursor \(cursor)")
                }
                let saved = try fx.cursor("C")?.int("offset") ?? 0
                #expect(saved >= cursor, "round \(index): a cursor never moves back (\(cursor) → \(saved))")
                #expect(
                    saved <= offsets.last ?? cursor,
                    "round \(index): the cursor \(saved) is never past the last printed line \(offsets.last ?? 0)")
                rounds.append(Round(index: index, offsets: offsets, cursorAtKill: saved))
                cursor = saved
            }

            stop.withLock { $0 = true }
            let written = writer.finish(timeout: 60, closingInput: false)
            // The feeder closes the writer's input and then records that it is done: allow for that instant.
            #expect(waitUntil(timeout: 30) { feederDone.withLock { $0 } })
            let total = sent.withLock { $0 }
            #expect(written.status == Exit.ok, "\(written)")
            #expect(written.lines.count == total, "every event was acknowledged by the writer")
            let head = try fx.headOffset()
            #expect(head == total)

            // A last consumer, not killed, prints the rest.
            let last = try fx.annals("tail", "--cursor", "C")
            #expect(last.status == Exit.ok && last.errors.isEmpty, "\(last)")
            if let first = last.offsets.first { #expect(first == cursor + 1) }
            rounds.append(Round(index: Self.rounds, offsets: last.offsets, cursorAtKill: head))
            #expect(try fx.cursor("C")?.int("offset") == head)

            // No loss: together the consumers printed every event.
            var times: [Int: Int] = [:]
            for round in rounds { for offset in round.offsets { times[offset, default: 0] += 1 } }
            #expect(Set(times.keys) == Set(1...head), "every event was printed at least once")

            // The only duplicates are those printed but not acknowledged before a kill, and each of those is
            // printed again (first thing) by the next consumer.
            var allowed: [Int: Int] = [:]
            var duplicates = 0
            for (previous, next) in zip(rounds, rounds.dropFirst()) {
                let unacknowledged = previous.offsets.filter { $0 > previous.cursorAtKill }
                for offset in unacknowledged { allowed[offset, default: 0] += 1 }
                duplicates += unacknowledged.count
                // (A consumer killed early may have reprinted only some of them; the next one prints the rest.)
                let reprinted = Array(unacknowledged.prefix(next.offsets.count))
                #expect(
                    Array(next.offsets.prefix(reprinted.count)) == reprinted,
                    "round \(next.index) first reprints the unacknowledged events of round \(previous.index)")
            }
            for (offset, count) in times where count > 1 {
                #expect(count - 1 <= allowed[offset, default: 0], "offset \(offset) was printed \(count) times")
            }
            #expect(times.values.reduce(0, +) == head + duplicates)

            #expect(rounds.filter { !$0.offsets.isEmpty }.count >= Self.rounds / 2, "most consumers printed events")
            #expect(try fx.annals("verify").status == Exit.ok)
            let elapsed = Date().timeIntervalSince(started)
            #expect(elapsed < 40, "the consumer crash test took \(elapsed) s")
        }
    }
}
