import Annals
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Kills `annals append` with SIGKILL at random moments, again and again on the same store, and checks after each
/// kill that every acknowledged event is there, intact and in order, with gapless offsets.
@Suite("Crash recovery")
struct CrashRecoveryTests {
    static let iterations = 24
    static let durabilities = ["sync", "sync", "no-meta-sync", "no-sync"]

    /// One input line: a unique client id, and the writer's iteration and sequence number in the metadata.
    static func line(iteration: Int, seq: Int, id: UUID) -> String {
        "{\"id\":\"\(id.uuidString.lowercased())\",\"type\":\"crash.tick\",\"actorId\":\"writer-\(iteration)\","
            + "\"targetId\":\"crash-\(seq % 5)\",\"groupId\":\"crash\","
            + "\"metadata\":{\"iter\":\(iteration),\"seq\":\(seq),\"note\":\"event \(seq) of writer \(iteration)\"}}"
    }

    /// What one killed writer did.
    struct Round {
        var iteration: Int
        var durability: String
        /// The ids sent, by sequence number.
        var sent: [UUID]
        /// The receipts read from its stdout: offset and id.
        var acknowledged: [(offset: Int, id: String)]
        var result: CLIResult
    }

    @Test(.timeLimit(.minutes(10)))
    func killedWritersLoseNoAcknowledgedEvent() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            /// Every acknowledged id across all rounds, with its offset.
            var acknowledged: [String: Int] = [:]
            var anchors: [String] = []
            var logLength = 0
            var totalAcknowledged = 0
            let started = Date()
            for iteration in 0..<Self.iterations {
                let round = try runRound(fx, iteration: iteration)
                #expect(round.result.signaled && round.result.status == SIGKILL, "round \(iteration): \(round.result)")
                totalAcknowledged += round.acknowledged.count

                // Receipts are well-formed, in order, and never acknowledge an id twice.
                for (index, receipt) in round.acknowledged.enumerated() {
                    #expect(receipt.offset == logLength + index + 1, "round \(iteration): receipts are gapless")
                    #expect(receipt.id == round.sent[index].uuidString.lowercased(), "round \(iteration): in order")
                    #expect(acknowledged.updateValue(receipt.offset, forKey: receipt.id) == nil)
                }

                // `annals verify` passes, and earlier heads are still part of the chain.
                let verify = try fx.annals("verify")
                #expect(verify.status == Exit.ok, "round \(iteration): \(verify)")
                if let anchor = anchors.last {
                    let anchored = try fx.annals("verify", "--anchor", anchor)
                    #expect(anchored.status == Exit.ok, "round \(iteration), anchor \(anchor): \(anchored)")
                }

                let newLength = try checkLog(
                    fx, round: round, previousLength: logLength, acknowledged: acknowledged)
                let head = try fx.head()
                #expect(head.int("offset") == newLength)
                let durable = try #require(head.int("durableOffset"))
                #expect(durable <= newLength, "round \(iteration): \(head)")
                if round.durability == "sync", let last = round.acknowledged.last {
                    #expect(durable >= last.offset, "round \(iteration): an acknowledged event is durable: \(head)")
                }
                if newLength > 0 { anchors.append(try #require(head.string("anchor"))) }
                logLength = newLength
            }
            #expect(totalAcknowledged > 0, "no writer acknowledged anything before being killed")
            #expect(
                Date().timeIntervalSince(started) < 90,
                "the crash test should stay well under a minute; it took \(Date().timeIntervalSince(started)) s")

            // A final writer that is not killed appends on top of everything, and the log is still whole.
            let final = try fx.append(
                (0..<10).map { Self.line(iteration: Self.iterations, seq: $0, id: UUID()) })
            #expect(final.first?.int("offset") == logLength + 1)
            #expect(try fx.annals("verify").status == Exit.ok)
        }
    }

    /// Starts a writer, feeds it lines continuously, and kills it after a random delay or a random number of
    /// acknowledgements.
    private func runRound(_ fx: CLIFixture, iteration: Int) throws -> Round {
        let durability = Self.durabilities[iteration % Self.durabilities.count]
        let writer = try fx.start(["append", "--store", fx.store, "--durability", durability])
        let sent = Locked<[UUID]>([])
        let stop = Locked(false)
        let feederDone = Locked(false)
        let feeder = Thread {
            var seq = 0
            while !stop.withLock({ $0 }) && seq < 100_000 {
                let burst = Int.random(in: 1...40)
                var text = ""
                var ids: [UUID] = []
                for _ in 0..<burst {
                    let id = UUID()
                    ids.append(id)
                    text += Self.line(iteration: iteration, seq: seq, id: id) + "\n"
                    seq += 1
                }
                sent.withLock { $0.append(contentsOf: ids) }
                guard writer.send(text) else { break }
                if Int.random(in: 0..<3) == 0 { usleep(UInt32.random(in: 100...2_000)) }
            }
            feederDone.withLock { $0 = true }
        }
        feeder.start()

        if iteration % 2 == 0 {
            usleep(UInt32.random(in: 5_000...150_000))
        } else {
            writer.stdout.waitForLines(Int.random(in: 1...400), timeout: 10)
            usleep(UInt32.random(in: 0...3_000))
        }
        writer.kill(SIGKILL)
        stop.withLock { $0 = true }
        let result = writer.finish(timeout: 30, closingInput: false)
        #expect(feederDone.wait(timeout: 30) { $0 }, "the feeder stops once the writer is gone")
        writer.closeInput()

        var receipts: [(offset: Int, id: String)] = []
        for line in writer.stdout.completeLines {
            guard let object = JSONObject(line), let offset = object.int("offset"), let id = object.string("id") else {
                Issue.record("round \(iteration): a receipt line is not a receipt: \(line)")
                continue
            }
            #expect(object.bool("duplicate") == nil, "round \(iteration): fresh ids are never duplicates")
            receipts.append((offset, id))
        }
        return Round(
            iteration: iteration, durability: durability, sent: sent.withLock { $0 }, acknowledged: receipts,
            result: result)
    }

    /// Reads the whole log with the library and checks it; returns its length.
    private func checkLog(
        _ fx: CLIFixture, round: Round, previousLength: Int, acknowledged: [String: Int]
    ) throws -> Int {
        let store = try EventStore(path: fx.store, options: StoreOptions(readOnly: true, createIfMissing: false))
        defer { store.close() }
        let events = try store.events().collect()
        let iteration = round.iteration

        // Offsets are gapless from 1, in order, without duplicates; ids are unique.
        #expect(
            events.map(\.offset) == (0..<events.count).map { UInt64($0 + 1) },
            "round \(iteration): offsets are not 1…\(events.count)")
        #expect(Set(events.map(\.id)).count == events.count, "round \(iteration): an id appears twice")
        #expect(events.count >= previousLength, "round \(iteration): events written before were lost")

        // Every acknowledged event (of every round so far) is there, at its offset.
        for (id, offset) in acknowledged {
            guard offset >= 1 && offset <= events.count else {
                Issue.record("round \(iteration): acknowledged offset \(offset) (id \(id)) is missing")
                continue
            }
            #expect(events[offset - 1].id.uuidString.lowercased() == id, "round \(iteration): offset \(offset)")
        }

        // Earlier rounds' events are unchanged in place; this round's events are a prefix of what was sent,
        // at least as long as what was acknowledged.
        for event in events.prefix(previousLength) {
            let owner = event.metadata["iter"]?.int64Value
            #expect(owner.map { $0 < Int64(iteration) } == true, "round \(iteration): offset \(event.offset)")
        }
        let fresh = Array(events.dropFirst(previousLength))
        #expect(fresh.count >= round.acknowledged.count, "round \(iteration): acknowledged events are missing")
        #expect(fresh.count <= round.sent.count, "round \(iteration): more events than lines sent")
        for (seq, event) in fresh.enumerated() {
            #expect(event.metadata["iter"]?.int64Value == Int64(iteration), "round \(iteration): \(event.jsonLine)")
            #expect(event.metadata["seq"]?.int64Value == Int64(seq), "round \(iteration): lines out of order")
            if seq < round.sent.count {
                #expect(event.id == round.sent[seq], "round \(iteration): offset \(event.offset) has another id")
            }
            #expect(event.type == "crash.tick")
        }

        // Stream versions count up without gaps in every target.
        var versions: [String: UInt64] = [:]
        for event in events {
            guard let target = event.targetId else { continue }
            let expected = versions[target, default: 0] + 1
            #expect(event.version == expected, "round \(iteration): offset \(event.offset) on \(target)")
            versions[target] = event.version
        }
        return events.count
    }
}
