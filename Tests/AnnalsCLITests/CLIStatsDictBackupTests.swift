import AnnalsTestSupport
import Foundation
import Testing

/// `annals stats`, `annals dict train` and `annals backup`.
@Suite("CLI: stats, dict train and backup")
struct CLIStatsDictBackupTests {
    // MARK: stats

    @Test func statsCountsEverything() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(60))
            let result = try fx.annals("stats")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.errors.isEmpty)
            let stats = try result.object()
            #expect(stats.int("events") == 60)
            #expect(stats.int("durableOffset") == 60)
            #expect(stats.int("actors") == 7)
            #expect(stats.int("targets") == 11)
            #expect(stats.int("groups") == 3)
            let types = try #require(stats.object("types"))
            #expect(types.keys == ["item.created", "item.updated", "link.created", "plugin_action_executed"])
            for type in types.keys { #expect(types.int(type) == 15, "\(type)") }
            let payload = try #require(stats.int("payloadBytes"))
            let record = try #require(stats.int("recordBytes"))
            #expect(payload > 60 * 50, "each sample envelope is well over 50 bytes")
            #expect(record > 0)
            let ratio = try #require(stats.double("compressionRatio"))
            #expect(ratio > 0 && ratio < 2, "\(stats)")
            let used = try #require(stats.int("usedBytes"))
            let map = try #require(stats.int("mapSize"))
            #expect(used > 0 && used <= map)
            #expect(stats.int("pageSize").map { $0 >= 4096 } == true)
            #expect(stats.int("maxReaders") == 510)
            #expect(stats.int("readersInUse").map { $0 >= 0 && $0 <= 510 } == true)
            #expect(stats.array("dictionaries")?.isEmpty == true, "60 events are below the training threshold")
            let databases = try #require(stats.object("databases"))
            for name in [
                "events", "ids", "meta", "dictionaries", "idx.type", "idx.actor", "idx.target", "idx.group",
                "idx.time",
            ] {
                #expect(databases.object(name) != nil, "database \(name) in \(stats)")
            }
            #expect(databases.object("events")?.int("entries") == 60)
            // The views' databases too: the projections' states, the snapshots and each view's tables in both slots.
            let views = ["projections", "snapshots", "p.things.0.things", "p.things.1.things", "p.knowledge.0.vectors"]
            for name in views {
                #expect(databases.object(name) != nil, "database \(name) in \(stats)")
            }
            let table = try fx.annals("stats", "--format", "table")
            #expect(table.lines.contains { $0.hasPrefix("p.knowledge.0.vectors ") }, "names are not cut: \(table)")
        }
    }

    @Test func statsOfAnEmptyStore() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let stats = try fx.annals("stats").object()
            #expect(stats.int("events") == 0)
            #expect(stats.object("types")?.keys.isEmpty == true)
            #expect(stats.int("actors") == 0)
        }
    }

    @Test func statsAsATable() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(8))
            let result = try fx.annals("stats", "--format", "table")
            #expect(result.status == Exit.ok, "\(result)")
            let text = result.output
            #expect(JSONObject(result.lines.first ?? "") == nil, "a table is not JSON")
            #expect(text.contains("events             8"), "\(text)")
            #expect(text.contains("dictionaries       none yet"), "\(text)")
            #expect(text.contains("DATABASE"), "\(text)")
            #expect(result.lines.contains { $0.hasPrefix("item.created") && $0.hasSuffix(" 2") }, "\(text)")

            let bad = try fx.annals("stats", "--format", "yaml")
            #expect(bad.status == Exit.invalidArguments, "\(bad)")
            #expect(bad.errors.contains("format"), "\(bad)")
        }
    }

    // MARK: dict train

    @Test func dictTrainAddsADictionaryAndOldRecordsStayReadable() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(200))
            let before = try fx.annals("read").lines

            let first = try fx.annals("dict", "train", "--samples", "100")
            #expect(first.status == Exit.ok, "\(first)")
            let trained = try first.object()
            let firstId = try #require(trained.int("id"))
            #expect((trained.int("size") ?? 0) > 0)
            #expect(trained.int("samples").map { $0 > 0 && $0 <= 100 } == true, "\(trained)")
            #expect(trained.int("trainedAtOffset") == 200)
            let listed = try fx.annals("stats").object().array("dictionaries") as? [[String: Any]]
            #expect(listed?.contains { ($0["id"] as? Int) == firstId } == true, "stats lists the dictionary")

            try fx.append(sampleLines(100, start: 200))
            let second = try fx.annals("dict", "train")
            #expect(second.status == Exit.ok, "\(second)")
            let secondId = try #require(try second.object().int("id"))
            #expect(secondId != firstId)
            #expect(try second.object().int("trainedAtOffset") == 300)
            try fx.append(sampleLines(100, start: 300))

            let after = try fx.annals("read")
            #expect(after.status == Exit.ok, "\(after)")
            #expect(after.lines.count == 400)
            #expect(Array(after.lines.prefix(200)) == before, "records written before training read back unchanged")
            #expect(after.objects().compactMap { $0.object("metadata")?.int("n") } == Array(0..<400))
            #expect(try fx.annals("verify").status == Exit.ok)
            #expect((try fx.annals("stats").object().array("dictionaries")?.count ?? 0) >= 2)
        }
    }

    @Test func dictTrainNeedsEnoughEvents() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(4))
            let result = try fx.annals("dict", "train")
            #expect(result.status == Exit.invalidInput, "\(result)")
            #expect(result.errors.contains("too few samples"), "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(try fx.annals("stats").object().array("dictionaries")?.isEmpty == true)

            let tooSmall = try fx.annals("dict", "train", "--samples", "5")
            #expect(tooSmall.status == Exit.invalidArguments, "\(tooSmall)")
            #expect(tooSmall.errors.contains("--samples"), "\(tooSmall)")
        }
    }

    // MARK: backup

    /// Relative destinations, of one character and nested, are made in the working directory (a one-character one
    /// crashed the command).
    @Test func backupToARelativeDestination() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3))
            for destination in ["K", "x/y"] {
                let result = try fx.annals("backup", destination)
                #expect(result.status == Exit.ok, "\(destination): \(result)")
                #expect(FileManager.default.fileExists(atPath: fx.path(destination) + "/data.mdb"))
                #expect(try fx.annals("head", store: fx.path(destination)).object().int("offset") == 3)
            }
        }
    }

    @Test func backupIsACompleteVerifiableStore() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(300))
            let destination = fx.path("backup")
            let result = try fx.annals("backup", destination)
            #expect(result.status == Exit.ok, "\(result)")
            let report = try result.object()
            let head = try fx.head()
            #expect(report.string("destination") == destination)
            #expect(report.int("offset") == 300)
            #expect(report.string("hash") == head.string("hash"))

            #expect(try fx.annals("verify", store: destination).status == Exit.ok)
            #expect(
                try fx.annals("verify", "--anchor", try #require(head.string("anchor")), store: destination).status
                    == Exit.ok)
            #expect(try fx.annals("read", store: destination).lines == (try fx.annals("read").lines))
            let sourceSize = try FileManager.default.attributesOfItem(atPath: fx.store + "/data.mdb")[.size] as? Int
            let copySize = try FileManager.default.attributesOfItem(atPath: destination + "/data.mdb")[.size] as? Int
            #expect(copySize != nil && sourceSize != nil && copySize! <= sourceSize!, "the copy is compacted")

            let appended = try fx.append([eventLine(type: "after.restore")], store: destination)
            #expect(appended[0].int("offset") == 301, "a backup is a working store")
            #expect(try fx.headOffset() == 300, "the source is unaffected")
        }
    }

    /// `backup --rewrite` copies record by record (the way out of damaged free-page lists): the same log, indexes
    /// and views, in a store that takes appends.
    @Test func aRewrittenBackupHoldsTheSameStore() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(300))
            let destination = fx.path("rewritten")
            let result = try fx.annals("backup", destination, "--rewrite")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(try result.object().string("hash") == (try fx.head().string("hash")))
            let verified = try fx.annals("verify", "--indexes", store: destination)
            #expect(verified.status == Exit.ok, "\(verified)")
            for query in [["read"], ["read", "--target", "thing-4"], ["things"]] {
                let copy = try fx.run(query + ["--store", destination])
                #expect(copy.status == Exit.ok, "\(query): \(copy)")
                #expect(copy.lines == (try fx.run(query + ["--store", fx.store])).lines, "\(query)")
            }
            #expect(try fx.annals("stats", store: destination).status == Exit.ok)
            let appended = try fx.append([eventLine(type: "after.restore")], store: destination)
            #expect(appended[0].int("offset") == 301)
            let full = try fx.annals("backup", destination, "--rewrite")
            #expect(full.status == Exit.invalidInput, "a destination that holds a store: \(full)")
        }
    }

    /// Damaged free-page lists: writers refuse the store (exit 5, naming `(free)`), reads and `verify` still work
    /// (`verify` reports it), the page-by-page backup refuses it, and `backup --rewrite` makes a sound copy.
    @Test func damagedFreePageListsAreRefusedToWritersAndLeftBehindByARewrite() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            for part in 0..<3 { try fx.append(sampleLines(100, start: part * 100)) }
            try FreePageListDamage.damageFirstList(
                dataFile: fx.store + "/data.mdb", pageSize: Int(sysconf(Int32(_SC_PAGESIZE))))

            let refused = try fx.run(
                ["append", "--store", fx.store], stdin: Array((eventLine(type: "late.event") + "\n").utf8))
            #expect(refused.status == Exit.storage, "\(refused)")
            #expect(refused.errors.contains("(free)"), "\(refused)")
            #expect(try fx.annals("read", "--limit", "3").objects().count == 3, "readers do not use the lists")
            let verified = try fx.annals("verify")
            #expect(verified.status == Exit.damaged, "\(verified)")
            #expect(verified.objects().first?.string("detail")?.contains("(free)") == true, "\(verified)")
            #expect(try fx.annals("backup", fx.path("pages")).status == Exit.storage)

            let rewritten = fx.path("records")
            let copy = try fx.annals("backup", rewritten, "--rewrite")
            #expect(copy.status == Exit.ok, "\(copy)")
            #expect(try fx.annals("verify", "--indexes", store: rewritten).status == Exit.ok)
            let appended = try fx.append([eventLine(type: "late.event")], store: rewritten)
            #expect(appended[0].int("offset") == 301, "the copy takes writes")
        }
    }

    @Test func backupIntoAnEmptyDirectoryWorksButNotIntoAFullOne() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5))
            let empty = fx.path("empty")
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            let ok = try fx.annals("backup", empty)
            #expect(ok.status == Exit.ok, "\(ok)")

            let full = fx.path("full")
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
            try "keep me".write(toFile: full + "/notes.txt", atomically: true, encoding: .utf8)
            let refused = try fx.annals("backup", full)
            #expect(refused.status == Exit.invalidInput, "\(refused)")
            #expect(refused.errors.contains(full), "\(refused)")
            #expect(refused.errors.contains("not an empty directory"), "\(refused)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: full) == ["notes.txt"])

            let again = try fx.annals("backup", empty)
            #expect(again.status == Exit.invalidInput, "a finished backup is not overwritten: \(again)")

            let missingArgument = try fx.annals("backup")
            #expect(missingArgument.status == Exit.invalidArguments, "\(missingArgument)")
        }
    }

    @Test func aCopyWhoseHeadDoesNotCheckOutIsRemovedUnlessKept() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(300))
            let hash = try #require(try fx.head().string("hash"))
            // The last byte of meta's chain.head, past the 16 bytes the head record's tag repeats.
            let file = URL(fileURLWithPath: fx.store + "/data.mdb")
            var data = [UInt8](try Data(contentsOf: file))
            let found = positions(of: try #require(bytes(hex: hash)), in: data)
            try #require(!found.isEmpty)
            for position in found { data[position + 31] ^= 1 }
            try Data(data).write(to: file)

            let removed = fx.path("removed")
            let refused = try fx.annals("backup", removed)
            #expect(refused.status == Exit.corrupt && refused.lines.isEmpty, "\(refused)")
            #expect(refused.errors.contains("corrupt record at offset 300"), "\(refused)")
            #expect(refused.errors.contains("the copy was removed (--keep-damaged keeps it"), "\(refused)")
            #expect(!FileManager.default.fileExists(atPath: removed))

            for (name, options) in [("kept", ["--keep-damaged"]), ("rewritten", ["--keep-damaged", "--rewrite"])] {
                let kept = fx.path(name)
                let keeping = try fx.run(["backup", kept, "--store", fx.store] + options)
                #expect(keeping.status == Exit.corrupt && keeping.lines.isEmpty, "\(keeping)")
                #expect(keeping.errors.contains("corrupt record at offset 300"), "\(keeping)")
                #expect(keeping.errors.contains("chain.head"), "what does not check out: \(keeping)")
                #expect(keeping.errors.contains("the copy was kept in \(kept)"), "\(keeping)")
                #expect(keeping.errors.contains("run 'annals verify --store \(kept)'"), "\(keeping)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: kept) == ["data.mdb"])
                let verify = try fx.annals("verify", "--anchor", "\(hash)@300", store: kept)
                #expect(verify.status == Exit.damaged, "\(verify)")
                #expect(verify.errors.contains("first bad offset 300: chainBreak: the head's hash in meta"))
                #expect(verify.objects().last?.bool("anchorMatched") == true, "\(verify)")
            }
        }
    }

    @Test func backupWhileAWriterRuns() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let writer = try fx.start(["append", "--store", fx.store])
            let feeder = Thread {
                for batch in 0..<40 {
                    guard writer.send(sampleLines(25, start: batch * 25).joined(separator: "\n") + "\n") else { return }
                    usleep(5_000)
                }
                writer.closeInput()
            }
            feeder.start()
            #expect(writer.stdout.waitForLines(200, timeout: 30))
            let acked = writer.stdout.completeLines.count
            let destination = fx.path("backup")
            let backup = try fx.annals("backup", destination)
            #expect(backup.status == Exit.ok, "\(backup)")
            let backupOffset = try #require(try backup.object().int("offset"))
            #expect(backupOffset >= acked, "a backup holds every event acknowledged before it started")

            let finished = writer.finish(timeout: 60, closingInput: false)
            #expect(finished.status == Exit.ok && !finished.signaled, "\(finished)")
            #expect(finished.lines.count == 1000)

            #expect(try fx.annals("verify", store: destination).status == Exit.ok)
            let copied = try fx.annals("read", store: destination).lines
            let source = try fx.annals("read").lines
            #expect(copied.count == backupOffset)
            #expect(copied == Array(source.prefix(backupOffset)), "the backup is a consistent prefix of the log")
        }
    }
}
