import Foundation
import LMDB
import Testing

/// `annals init` and the happy paths of `annals append`.
@Suite("CLI: init and append")
struct CLIInitAppendTests {
    // MARK: init

    /// A creation takes a few transactions: a reader opening between them waits for the creator to finish instead of
    /// naming the store's creation interrupted (exit 6).
    @Test func aReaderOpeningWhileAnotherProcessCreatesTheStoreWaitsForIt() throws {
        try withCLIFixture { fx in
            // The state between a creation's transactions: some of a store's databases, no format version yet.
            try FileManager.default.createDirectory(atPath: fx.store, withIntermediateDirectories: true)
            do {
                let environment = try Environment(path: fx.store, options: EnvironmentOptions())
                defer { environment.close() }
                _ = try environment.openDatabase("events", flags: .create)
            }
            let reader = try fx.start(["head", "--store", fx.store])
            usleep(300_000)
            try fx.initStore()
            let head = reader.finish()
            #expect(head.status == Exit.ok, "\(head)")
            #expect(try head.object().int("offset") == 0, "\(head)")
            // Left incomplete, it is still named after the wait.
            let other = fx.path("cut-short")
            try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
            do {
                let environment = try Environment(path: other, options: EnvironmentOptions())
                defer { environment.close() }
                _ = try environment.openDatabase("events", flags: .create)
            }
            let named = try fx.annals("head", store: other)
            #expect(named.status == Exit.corrupt, "\(named)")
            #expect(named.errors.contains("creation was interrupted"), "\(named)")
        }
    }

    /// An `init` killed before LMDB's first write leaves an empty `data.mdb`: readers name the interrupted creation
    /// (exit 6, after waiting for a creator that may still be writing it) rather than LMDB's "bad file descriptor",
    /// and `init` completes it.
    @Test func anEmptyDataFileIsAnInterruptedCreation() throws {
        try withCLIFixture { fx in
            try FileManager.default.createDirectory(atPath: fx.store, withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: fx.store + "/data.mdb", contents: Data()))
            for command in ["head", "tail"] {
                let named = try fx.annals(command)
                #expect(named.status == Exit.corrupt, "\(named)")
                #expect(named.errors.contains("creation was interrupted"), "\(named)")
            }
            try fx.initStore()
            #expect(try fx.headOffset() == 0)
        }
    }

    /// A `watermark` file that a writer created but never initialized (it died, or its disk was full) is no
    /// watermark: readers take the committed events as durable, as for a store no writer has opened, instead of
    /// taking none.
    @Test func aWatermarkFileWithoutItsMagicIsIgnoredByReaders() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5))
            try Data(count: 4096).write(to: URL(fileURLWithPath: fx.store + "/watermark"))
            #expect(try fx.head().int("durableOffset") == 5)
            let tailed = try fx.annals("tail", "--from", "start", "--limit", "5")
            #expect(tailed.status == Exit.ok && tailed.objects().count == 5, "\(tailed)")
            // The next writer initializes it.
            try fx.append(sampleLines(1, start: 5))
            #expect(try fx.head().int("durableOffset") == 6)
        }
    }

    @Test func aWatermarkThatIsADirectoryIsNamedAsSuch() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(2))
            let watermark = fx.store + "/watermark"
            try FileManager.default.removeItem(atPath: watermark)
            try FileManager.default.createDirectory(atPath: watermark, withIntermediateDirectories: false)
            let head = try fx.annals("head")
            #expect(head.status == Exit.storage, "\(head)")
            #expect(
                head.errors.contains("\(watermark) is a directory, not the store's watermark file: remove it"),
                "\(head)")
            let append = try fx.annals("append", stdin: sampleLines(1, start: 2)[0])
            #expect(append.status == Exit.storage && append.errors.contains("Is a directory"), "\(append)")
        }
    }

    @Test func initUnderAFileNamesTheFile() throws {
        try withCLIFixture { fx in
            let file = fx.path("plain")
            try "x".write(toFile: file, atomically: true, encoding: .utf8)
            let result = try fx.run(["init", "--store", file + "/store"])
            #expect(result.status == Exit.storage, "\(result)")
            #expect(
                result.errors
                    == "annals: I/O error: cannot create the store directory \(file)/store: \(file) is a file, not a "
                    + "directory\n", "\(result)")
            let head = try fx.run(["head", "--store", file])
            #expect(head.status == Exit.notFound, "\(head)")
            #expect(head.errors == "annals: no store at \(file): it is a file, not a store's directory\n", "\(head)")
        }
    }

    @Test func initCreatesAStoreOnceAndReportsItsHead() throws {
        try withCLIFixture { fx in
            let first = try fx.annals("init")
            #expect(first.status == Exit.ok, "\(first)")
            let created = try first.object()
            #expect(created.string("store") == fx.store)
            #expect(created.bool("created") == true)
            #expect(created.int("offset") == 0)
            #expect(first.errors.isEmpty)
            #expect(FileManager.default.fileExists(atPath: fx.store + "/data.mdb"))

            try fx.append(sampleLines(3))
            let again = try fx.annals("init")
            #expect(again.status == Exit.ok, "\(again)")
            let existing = try again.object()
            #expect(existing.bool("created") == false)
            #expect(existing.int("offset") == 3)
            #expect(try fx.headOffset() == 3, "init on an existing store changes nothing")
        }
    }

    @Test func ofSeveralInitsOfOneNewDirectoryAtOnceExactlyOneReportsCreatingIt() throws {
        try withCLIFixture { fx in
            for round in 0..<4 {
                let store = fx.path("race-\(round)/store")
                let children = try (0..<4).map { _ in
                    try ChildProcess(fx.binary, ["init", "--store", store], directory: fx.directory)
                }
                let results = children.map { $0.finish() }
                #expect(results.allSatisfy { $0.status == Exit.ok }, "\(results)")
                let created = try results.filter { try $0.object().bool("created") == true }
                #expect(created.count == 1, "round \(round): \(results.map(\.output))")
            }
        }
    }

    @Test func storeComesFromTheEnvironmentUnlessGivenExplicitly() throws {
        try withCLIFixture { fx in
            let fromEnvironment = fx.path("env-store")
            let result = try fx.run(["init"], environment: ["ANNALS_STORE": fromEnvironment])
            #expect(result.status == Exit.ok, "\(result)")
            #expect(FileManager.default.fileExists(atPath: fromEnvironment + "/data.mdb"))

            let append = try fx.run(
                ["append"], stdin: Array((sampleLines(2).joined(separator: "\n") + "\n").utf8),
                environment: ["ANNALS_STORE": fromEnvironment])
            #expect(append.status == Exit.ok, "\(append)")
            #expect(try fx.headOffset(fromEnvironment) == 2)

            let explicit = fx.path("explicit")
            let both = try fx.run(["init", "--store", explicit], environment: ["ANNALS_STORE": fx.path("unused")])
            #expect(both.status == Exit.ok, "\(both)")
            #expect(FileManager.default.fileExists(atPath: explicit + "/data.mdb"))
            #expect(!FileManager.default.fileExists(atPath: fx.path("unused")), "--store wins over ANNALS_STORE")
        }
    }

    @Test func anEmptyStorePathIsAnInvalidArgumentForEveryCommand() throws {
        try withCLIFixture { fx in
            for command in [["init"], ["head"], ["stats"], ["get", "1"], ["cursors", "list"], ["read"]] {
                let result = try fx.run(command + ["--store", ""])
                #expect(result.status == Exit.invalidArguments, "\(command): \(result)")
                #expect(result.errors.contains("--store must not be empty"), "\(command): \(result)")
            }
        }
    }

    @Test func defaultStoreIsAnnalsStoreInTheWorkingDirectory() throws {
        try withCLIFixture { fx in
            let result = try fx.run(["init"])
            #expect(result.status == Exit.ok, "\(result)")
            #expect(FileManager.default.fileExists(atPath: fx.path("annals-store/data.mdb")))
        }
    }

    @Test func initOnAFileThatIsNotAStoreIsAStorageError() throws {
        try withCLIFixture { fx in
            try FileManager.default.createDirectory(atPath: fx.store, withIntermediateDirectories: true)
            var garbage = [UInt8](repeating: 0, count: 64 << 10)
            for i in garbage.indices { garbage[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 7) }
            try Data(garbage).write(to: URL(fileURLWithPath: fx.store + "/data.mdb"))
            for command in ["init", "head", "read", "verify", "stats"] {
                let result = try fx.annals(command)
                #expect(result.status == Exit.storage, "\(result)")
                #expect(result.errors.hasPrefix("annals: "), "\(result)")
                #expect(result.errors.contains("storage error"), "\(result)")
                #expect(result.stdout.isEmpty, "\(result)")
            }
        }
    }

    // MARK: append

    @Test func appendPrintsOneReceiptPerEventInOrder() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let result = try fx.annals("append", stdin: sampleLines(25).joined(separator: "\n") + "\n")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.errors.isEmpty, "\(result)")
            let receipts = result.objects()
            #expect(receipts.map { $0.int("offset") } == Array(1...25))
            for receipt in receipts {
                #expect(receipt.keys == ["offset", "id", "version"], "\(receipt)")
                let id = try #require(receipt.string("id"))
                #expect(UUID(uuidString: id) != nil)
                #expect(id == id.lowercased())
            }
            #expect(Set(receipts.compactMap { $0.string("id") }).count == 25, "assigned ids are unique")

            let events = try fx.readAll()
            #expect(events.map { $0.string("id") } == receipts.map { $0.string("id") })
            #expect(events.map { $0.int("version") } == receipts.map { $0.int("version") })
        }
    }

    @Test func versionsCountPerTargetStream() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let receipts = try fx.append([
                eventLine(target: "t1"), eventLine(target: "t1"), eventLine(target: "t2"), eventLine(target: "t1"),
                eventLine(type: "system.tick"),
            ])
            #expect(receipts.map { $0.int("version") } == [1, 2, 1, 3, 0])
            let more = try fx.append([eventLine(target: "t2"), eventLine(target: "t1")])
            #expect(more.map { $0.int("offset") } == [6, 7])
            #expect(more.map { $0.int("version") } == [2, 4])
        }
    }

    @Test func clientSuppliedIdsAreKept() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let id = UUID()
            let receipts = try fx.append([eventLine(target: "t", id: id)])
            #expect(receipts[0].string("id") == id.uuidString.lowercased())
            let upper = UUID()
            let second = try fx.append(["{\"type\":\"x\",\"id\":\"\(upper.uuidString.uppercased())\"}"])
            #expect(second[0].string("id") == upper.uuidString.lowercased())
            let got = try fx.annals("get", "--id", id.uuidString)
            #expect(got.status == Exit.ok, "\(got)")
            #expect(try got.object().int("offset") == 1)
        }
    }

    @Test func appendReadsAFile() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let file = fx.path("events.jsonl")
            try (sampleLines(40).joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let result = try fx.annals("append", "--file", file)
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.objects().map { $0.int("offset") } == Array(1...40))

            let missing = try fx.annals("append", "--file", fx.path("nope.jsonl"))
            #expect(missing.status == Exit.notFound, "\(missing)")
            #expect(missing.errors.contains("cannot open"), "\(missing)")
            #expect(missing.errors.contains("nope.jsonl"), "\(missing)")
            let directory = try fx.annals("append", "--file", fx.directory)
            #expect(directory.status == Exit.notFound, "\(directory)")
            #expect(directory.errors.contains("it is a directory"), "\(directory)")
            #expect(try fx.headOffset() == 40)
        }
    }

    @Test func appendToAMissingStoreFailsWithNotFound() throws {
        try withCLIFixture { fx in
            let result = try fx.annals("append", stdin: eventLine() + "\n")
            #expect(result.status == Exit.notFound, "\(result)")
            #expect(result.errors.contains("no store at \(fx.store)"), "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: fx.store + "/data.mdb"), "append must not create a store")
        }
    }

    @Test func atomicAppendWritesOneContiguousBatch() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3))
            let receipts = try fx.append(sampleLines(200, start: 3), extra: ["--atomic"])
            #expect(receipts.map { $0.int("offset") } == Array(4...203))
            #expect(try fx.headOffset() == 203)
        }
    }

    @Test(arguments: ["sync", "no-meta-sync", "no-sync"])
    func everyDurabilityModeAppends(mode: String) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let receipts = try fx.append(sampleLines(30), extra: ["--durability", mode])
            #expect(receipts.count == 30)
            #expect(try fx.headOffset() == 30)
            #expect(try fx.head().int("durableOffset") == 30)
            #expect(try fx.annals("verify").status == Exit.ok)
        }
    }

    /// LMDB never writes the pages a transaction takes and frees again (here the copies of a thing growing by large
    /// properties, deleted in the same batch), and the data file grows only as pages are written: the file then ends
    /// before the last page the commit counts. Every command used to refuse the store as cut short (exit 5).
    @Test func aBatchThatFreesThePagesItTookLeavesAStoreThatOpens() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            var generator = SystemRandomNumberGenerator()
            let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
            var lines = [
                eventLine(
                    type: "thing.created", actor: "u", target: "big", group: "A", metadata: #"{"thingType":"doc"}"#)
            ]
            for index in 0..<6 {
                let text = String((0..<200_000).map { _ in letters.randomElement(using: &generator)! })
                lines.append(
                    eventLine(
                        type: "thing.updated", actor: "u", target: "big",
                        metadata: #"{"properties":{"p\#(index)":"\#(text)"}}"#))
            }
            lines.append(eventLine(type: "thing.deleted", actor: "u", target: "big", metadata: "{}"))
            try fx.append(lines)
            let stats = try fx.annals("stats").object()
            let size = try #require(
                try FileManager.default.attributesOfItem(atPath: fx.store + "/data.mdb")[.size] as? Int)
            #expect(size < stats.int("usedBytes") ?? 0, "the file should end before its last page: \(size) bytes")
            #expect(try fx.headOffset() == 8)
            #expect(try fx.annals("verify", "--indexes").status == Exit.ok)
            try fx.append([eventLine(type: "note.added", actor: "u", target: "n", metadata: "{}")])
            #expect(try fx.headOffset() == 9)
            // Cut short where pages are in use, it is refused at the open, naming what is missing.
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: fx.store + "/data.mdb"))
            try file.truncate(atOffset: 1 << 20)
            try file.close()
            let cut = try fx.annals("head")
            #expect(cut.status == Exit.storage, "\(cut)")
            #expect(cut.errors.contains("cut short") || cut.errors.contains("truncatedFile"), "\(cut)")
        }
    }

    @Test func invalidAppendArgumentsExit64() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let cases: [([String], String)] = [
                (["append", "--durability", "fast"], "durability"),
                (["append", "--max-event-size", "100"], "--max-event-size"),
                (["append", "--max-event-size", "lots"], "max-event-size"),
                (["append", "--no-such-flag"], "no-such-flag"),
            ]
            for (arguments, mention) in cases {
                let result = try fx.run(arguments + ["--store", fx.store], stdin: Array((eventLine() + "\n").utf8))
                #expect(result.status == Exit.invalidArguments, "\(result)")
                #expect(result.errors.contains(mention), "\(result)")
                #expect(result.stdout.isEmpty)
            }
            #expect(try fx.headOffset() == 0)
        }
    }

    @Test func blankLinesAreSkippedButCountedAndCRLFIsAccepted() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let input = eventLine(type: "a") + "\r\n\r\n   \n" + eventLine(type: "b") + "\r\n" + "{\"type\":7}\r\n"
            let result = try fx.annals("append", stdin: input)
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.objects().map { $0.int("offset") } == [1, 2])
            #expect(result.errors.contains("line 5"), "blank lines keep their numbers: \(result)")
            #expect(try fx.readAll().map { $0.string("type") } == ["a", "b"])
        }
    }

    @Test func aLastLineWithoutNewlineIsAppended() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let result = try fx.annals("append", stdin: eventLine(type: "a") + "\n" + eventLine(type: "b"))
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.lines.count == 2)
            #expect(try fx.readAll().map { $0.string("type") } == ["a", "b"])
        }
    }

    @Test func timestampsAndMetadataRoundTrip() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let metadata = #"{"name":"Lamp \"β\" ☃","nested":{"list":[1,2.5,true,null,"x"],"empty":{}},"n":-3}"#
            try fx.append([
                eventLine(type: "a", timestamp: 1_790_000_000_123, metadata: metadata),
                #"{"type":"b","timestamp":"2026-11-25T10:00:00.250Z"}"#,
                #"{"type":"c","timestamp":"2026-11-25"}"#,
                #"{"type":"d","metadata":null,"actorId":null}"#,
            ])
            let events = try fx.readAll()
            try #require(events.count == 4)
            #expect(events[0].int("timestamp") == 1_790_000_000_123)
            #expect(events[1].int("timestamp") == 1_795_600_800_250)
            #expect(events[2].int("timestamp") == 1_795_564_800_000)
            let expected = try JSONSerialization.jsonObject(with: Data(metadata.utf8)) as? NSDictionary
            #expect((events[0]["metadata"] as? NSDictionary) == expected)
            #expect((events[3]["metadata"] as? NSDictionary) == NSDictionary())
            #expect(events[3]["actorId"] == nil)
            let now = Int(Date().timeIntervalSince1970 * 1000)
            let assigned = try #require(events[3].int("timestamp"))
            #expect(abs(assigned - now) < 120_000, "an absent timestamp is assigned at append")
        }
    }

    @Test func readOutputAppendsToAnotherStore() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(50) + [eventLine(type: "with.id", id: UUID())])
            let copy = fx.path("copy")
            try fx.initStore(copy)
            let script =
                "set -o pipefail; \(shellQuoted(fx.binary)) read --store \(shellQuoted(fx.store)) | "
                + "\(shellQuoted(fx.binary)) append --store \(shellQuoted(copy)) > /dev/null"
            let piped = try runShell(script)
            #expect(piped.status == 0, "\(piped)")
            let original = try fx.readAll()
            let copied = try fx.readAll(copy)
            #expect(copied.count == original.count)
            for (a, b) in zip(original, copied) {
                for key in ["offset", "id", "type", "actorId", "targetId", "groupId", "timestamp", "version"] {
                    #expect("\(a[key] ?? "-")" == "\(b[key] ?? "-")", "\(key) of \(a)")
                }
                #expect((a["metadata"] as? NSDictionary) == (b["metadata"] as? NSDictionary))
            }
        }
    }
}
