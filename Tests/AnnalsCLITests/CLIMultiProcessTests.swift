import Annals
import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several `annals` processes on one store, and output into a closed pipe.
@Suite("CLI: several processes and pipes")
struct CLIMultiProcessTests {
    /// A reader adopting a map another process grew lets go of its lock on the way (it needs the lock exclusive):
    /// a `close()` that runs then must leave it failing with `closed`, not using the closed environment.
    @Test(.timeLimit(.minutes(10)))
    func closingWhileAReaderAdoptsAGrownMapIsNoCrash() throws {
        try withCLIFixture { fx in
            // A store with a 1 MiB map, which the CLI's open (64 MiB by default) grows.
            let small = StoreOptions(initialMapSize: 1 << 20)
            try EventStore(path: fx.store, options: small).close()
            var readOnly = small
            readOnly.readOnly = true
            let store = try EventStore(path: fx.store, options: readOnly)
            let holding = Locked(false)
            let reader = Thread {
                _ = try? store.read { _ in
                    holding.withLock { $0 = true }
                    usleep(4_000_000)
                }
            }
            reader.start()
            try #require(waitUntil(timeout: 30) { holding.withLock { $0 } })
            // Past the reader's 1 MiB map: the next transaction begun meets MDB_MAP_RESIZED.
            try fx.append(sampleLines(10_000))
            // This head() meets MDB_MAP_RESIZED and waits for the lock exclusive while the reader holds it shared.
            let headResult = Locked<Result<LogHead, AnnalsError>?>(nil)
            let adopter = Thread { headResult.withLock { $0 = Result { () throws(AnnalsError) in try store.head() } } }
            adopter.start()
            usleep(100_000)
            store.close()
            try #require(waitUntil(timeout: 20) { headResult.withLock { $0 } != nil })
            switch headResult.withLock({ $0 })! {
            case .success(let head): #expect(head.offset == 10_000)
            case .failure(let error): #expect(error == .closed)
            }
        }
    }

    @Test func readersSeeEachAcknowledgedEventWhileTheWriterRuns() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let writer = try fx.start(["append", "--store", fx.store])
            for step in 1...5 {
                let lines = sampleLines(3, start: (step - 1) * 3)
                writer.send(lines.joined(separator: "\n") + "\n")
                try #require(writer.stdout.waitForLines(step * 3, timeout: 20), "the writer acknowledges as it goes")
                let receipts = writer.stdout.completeLines.compactMap(JSONObject.init)
                #expect(receipts.count == step * 3)
                #expect(writer.process.isRunning, "the writer is still waiting for input")

                let head = try fx.head()
                #expect(head.int("offset") == step * 3)
                #expect(head.int("durableOffset") == step * 3, "an acknowledged event is durable: \(head)")
                let read = try fx.annals("read", "--from", String(step * 3 - 2))
                #expect(read.status == Exit.ok, "\(read)")
                #expect(read.objects().map { $0.string("id") } == receipts.suffix(3).map { $0.string("id") })
                let lastId = try #require(receipts.last?.string("id"))
                #expect(try fx.annals("get", "--id", lastId).object().int("offset") == step * 3)
                #expect(try fx.annals("verify").status == Exit.ok)
                #expect(try fx.annals("stats").object().int("events") == step * 3)
            }
            let result = writer.finish(timeout: 30)
            #expect(result.status == Exit.ok && !result.signaled, "\(result)")
            #expect(result.errors.isEmpty, "\(result)")
        }
    }

    /// A read-only open that found no watermark file takes the head as durable; once a file exists that it cannot
    /// open (here a symbolic link to itself), a writer may be committing, so nothing new is taken as durable until the
    /// file can be read again.
    @Test func anUnreadableWatermarkFileMakesNothingNewDurable() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let writer = try fx.start(["append", "--store", fx.store])
            writer.send(sampleLines(5).joined(separator: "\n") + "\n")
            try #require(writer.stdout.waitForLines(5, timeout: 20))
            // The writer keeps its mapping of the file; the reader finds none.
            try FileManager.default.removeItem(atPath: fx.store + "/watermark")
            var readOnly = StoreOptions()
            readOnly.readOnly = true
            let reader = try EventStore(path: fx.store, options: readOnly)
            defer { reader.close() }
            #expect(try reader.head().durableOffset == 5)
            try FileManager.default.createSymbolicLink(
                atPath: fx.store + "/watermark", withDestinationPath: "watermark")
            writer.send(sampleLines(3, start: 5).joined(separator: "\n") + "\n")
            try #require(writer.stdout.waitForLines(8, timeout: 20))
            let head = try reader.head()
            #expect(head.offset == 8 && head.durableOffset == 5, "\(head)")
            try FileManager.default.removeItem(atPath: fx.store + "/watermark")
            #expect(try reader.head().durableOffset == 8)
            let result = writer.finish(timeout: 30)
            #expect(result.status == Exit.ok, "\(result)")
        }
    }

    /// A writer's open resets a watermark left beyond the log by a system crash. Another process committing during
    /// that open must not be mistaken for such a leftover: the durable offset a reader sees never falls back.
    @Test func aWritersOpenNeverLowersWhatAnotherWriterMadeDurable() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let writer = try fx.start(["append", "--store", fx.store])
            let feeder = Thread {
                var sent = 0
                while sent < 20_000, writer.send(sampleLines(5, start: sent).joined(separator: "\n") + "\n") {
                    sent += 5
                }
                writer.closeInput()
            }
            feeder.start()
            try #require(writer.stdout.waitForLines(5, timeout: 20))
            var readOnly = StoreOptions()
            readOnly.readOnly = true
            let reader = try EventStore(path: fx.store, options: readOnly)
            defer { reader.close() }
            let falls = Counter()
            let sampling = Counter()
            let sampler = Thread {
                var highest: UInt64 = 0
                while sampling.value == 0 {
                    let durable = reader.durableOffset
                    if durable < highest { falls.increment() }
                    highest = max(highest, durable)
                }
                sampling.increment()
            }
            sampler.start()
            // `init` on an existing store opens it as a writer and closes it again.
            for _ in 0..<60 where writer.process.isRunning {
                #expect(try fx.annals("init").status == Exit.ok)
            }
            sampling.increment()
            while sampling.value < 2 { usleep(1_000) }
            #expect(falls.value == 0, "a writer's open lowered the durable offset \(falls.value) times")
            let result = writer.finish(timeout: 60, closingInput: false)
            #expect(result.status == Exit.ok, "\(result)")
        }
    }

    @Test func readsDuringContinuousWritesSeeGaplessPrefixes() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let writer = try fx.start(["append", "--store", fx.store])
            // The writer is fed until the reader has done its rounds, however long they take.
            let stopFeeding = Locked(false)
            let sent = Locked(0)
            let feeder = Thread {
                var start = 0
                while !stopFeeding.withLock({ $0 }) && start < 200_000 {
                    let count = Int.random(in: 5...20)
                    guard writer.send(sampleLines(count, start: start).joined(separator: "\n") + "\n") else { return }
                    start += count
                    sent.withLock { $0 = start }
                    usleep(UInt32.random(in: 2_000...5_000))
                }
                writer.closeInput()
            }
            feeder.start()
            #expect(writer.stdout.waitForLines(1, timeout: 30))
            var seen = 0
            for _ in 0..<4 {
                let read = try fx.annals("read")
                #expect(read.status == Exit.ok, "\(read)")
                let events = read.objects()
                #expect(events.compactMap { $0.int("offset") } == Array(0..<events.count).map { $0 + 1 })
                #expect(events.compactMap { $0.object("metadata")?.int("n") } == Array(0..<events.count))
                #expect(events.count >= seen, "a later read never sees fewer events")
                seen = events.count
                let verify = try fx.annals("verify")
                #expect(verify.status == Exit.ok, "\(verify)")
                let head = try fx.head()
                #expect((head.int("offset") ?? 0) >= seen)
                #expect(writer.process.isRunning, "reads run while the writer is writing")
            }
            stopFeeding.withLock { $0 = true }
            let result = writer.finish(timeout: 60, closingInput: false)
            let total = sent.withLock { $0 }
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.lines.count == total)
            #expect(try fx.headOffset() == total)
            #expect(seen > 0, "the reads saw the writer's events")
        }
    }

    @Test func twoWritersShareTheLog() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let perWriter = 600
            let writers = try (0..<2).map { _ in try fx.start(["append", "--store", fx.store]) }
            for (index, writer) in writers.enumerated() {
                let feeder = Thread {
                    var seq = 0
                    while seq < perWriter {
                        let count = min(Int.random(in: 1...50), perWriter - seq)
                        let lines = (seq..<seq + count).map {
                            eventLine(
                                type: "writer.\(index)", actor: "w\(index)", target: "shared",
                                metadata: "{\"writer\":\(index),\"seq\":\($0)}")
                        }
                        guard writer.send(lines.joined(separator: "\n") + "\n") else { return }
                        seq += count
                        usleep(UInt32.random(in: 0...2_000))
                    }
                    writer.closeInput()
                }
                feeder.start()
            }
            var offsets: [Int] = []
            for writer in writers {
                let result = writer.finish(timeout: 60, closingInput: false)
                #expect(result.status == Exit.ok, "\(result)")
                let mine = result.objects().compactMap { $0.int("offset") }
                #expect(mine.count == perWriter)
                #expect(mine == mine.sorted(), "one writer's events keep their input order")
                offsets += mine
            }
            #expect(offsets.sorted() == Array(1...2 * perWriter), "offsets are gapless and unique across writers")
            #expect(try fx.annals("verify").status == Exit.ok)

            let events = try fx.readAll()
            #expect(events.compactMap { $0.int("version") } == Array(1...2 * perWriter), "one stream, gapless")
            for index in 0..<2 {
                let seqs = events.filter { $0.string("actorId") == "w\(index)" }
                    .compactMap { $0.object("metadata")?.int("seq") }
                #expect(seqs == Array(0..<perWriter))
            }
        }
    }

    /// Each writer process trains dictionaries on its own; one trained while another trained, or since it looked, is
    /// not saved, so three writers crossing the first training point together store one dictionary, as one would.
    @Test func writersInSeveralProcessesTrainOneDictionaryAtATrainingPoint() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let writers = try (0..<3).map { _ in
                try fx.start(["append", "--store", fx.store, "--durability", "no-sync"])
            }
            // Fed together in small pieces, so that every writer has committed (and looked for a dictionary) before
            // the first training is saved.
            for (index, writer) in writers.enumerated() {
                Thread {
                    for piece in stride(from: 0, to: 2_000, by: 100) {
                        let lines = sampleLines(100, start: index * 2_000 + piece)
                        guard writer.send(lines.joined(separator: "\n") + "\n") else { return }
                        usleep(5_000)
                    }
                    writer.closeInput()
                }.start()
            }
            for writer in writers {
                let result = writer.finish(timeout: 60, closingInput: false)
                #expect(result.status == Exit.ok, "\(result)")
            }
            // Trainings run in the background: each writer waits for its own before it exits.
            let stats = try fx.annals("stats").object()
            #expect(stats.array("dictionaries")?.count == 1, "\(stats)")
            #expect(try fx.annals("verify").status == Exit.ok)
        }
    }

    @Test func aClosedPipeEndsACommandQuietly() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5_000))
            let (annals, store) = fx.shellWords
            let variants: [(command: String, lines: Int)] = [
                ("read", 1),
                ("read", 2),
                ("read --reverse", 1),
                ("read --format table", 2),
                ("read --type item.created", 1),
            ]
            for variant in variants {
                let script =
                    "set -o pipefail; \(annals) \(variant.command) --store \(store) | head -n \(variant.lines)"
                let result = try runShell(script, directory: fx.directory)
                #expect(result.status == 0 && !result.signaled, "\(variant.command): \(result)")
                #expect(result.lines.count == variant.lines, "\(variant.command): \(result)")
                #expect(result.errors.isEmpty, "\(variant.command): no noise on stderr: \(result)")
            }

            // The same with the status of annals itself, and a reader that closes before reading anything.
            let statusScript =
                "\(annals) read --store \(store) | (exec 0<&-; true); echo \"status=${PIPESTATUS[0]}\""
            let status = try runShell(statusScript, directory: fx.directory)
            #expect(status.output.contains("status=0"), "\(status)")
            #expect(status.errors.isEmpty, "\(status)")
        }
    }

    /// `append` cannot stop quietly: receipts it could not print must not look like success.
    @Test func appendIntoAClosedPipeSaysHowFarItGot() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let file = fx.path("input.jsonl")
            try (sampleLines(5_000).joined(separator: "\n") + "\n").write(
                toFile: file, atomically: true, encoding: .utf8)
            let script =
                "\(shellQuoted(fx.binary)) append --store \(shellQuoted(fx.store)) --file \(shellQuoted(file)) "
                + "| head -n 1; echo \"status=${PIPESTATUS[0]}\""
            let result = try runShell(script, directory: fx.directory)
            #expect(result.lines.first?.hasPrefix("{\"offset\":1,") == true, "\(result)")
            #expect(result.output.contains("status=7"), "\(result)")
            #expect(result.errors.contains("standard output was closed"), "\(result)")
            // "events through offset N (line L) were appended, later lines were not"
            let through = result.errors.components(separatedBy: "through offset ").dropFirst().first
                .flatMap { Int($0.prefix { $0.isNumber }) }
            let reported = try #require(through, "\(result)")
            #expect(try fx.headOffset() == reported, "the message tells exactly how far the append got")
            #expect(try fx.annals("verify").status == Exit.ok)
        }
    }

    /// The exit-7 message names the highest offset written, also when the batch ends in a duplicate, whose receipt
    /// carries the duplicate's original, lower offset.
    @Test func appendIntoAClosedPipeNamesTheHighestOffsetWrittenWhenTheBatchEndsInADuplicate() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let id = UUID()
            try fx.append([eventLine(type: "a.b", id: id)])
            let input = fx.path("input.jsonl")
            let lines = [eventLine(type: "a.b"), eventLine(type: "a.b"), eventLine(type: "a.b", id: id)]
            try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
            // Standard output is a pipe whose reader has gone before the command starts: the receipts fail (EPIPE).
            let output = try SpawnedProcess.pipe()
            close(output.read)
            let errors = try SpawnedProcess.pipe()
            let nothing = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { close(nothing) }
            let process = try SpawnedProcess(
                fx.binary, ["append", "--store", fx.store, "--file", input],
                environment: ProcessInfo.processInfo.environment, standardInput: nothing,
                standardOutput: output.write, standardError: errors.write)
            close(output.write)
            close(errors.write)
            let stderr = PipeDrain(FileHandle(fileDescriptor: errors.read, closeOnDealloc: true))
            process.waitForExit()
            stderr.waitForEnd(timeout: 30)
            let message = String(decoding: stderr.bytes, as: UTF8.self)
            #expect(process.terminationStatus == 7 && process.wasSignaled == false, "\(message)")
            #expect(
                message.contains("events through offset 3 (line 3) were appended"),
                "offsets 2 and 3 written, the duplicate's receipt naming offset 1: \(message)")
            #expect(try fx.headOffset() == 3)
        }
    }
}

/// A count shared between a test's threads.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
