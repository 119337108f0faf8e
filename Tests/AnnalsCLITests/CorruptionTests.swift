import Foundation
import Testing

@testable import Annals

/// Damages records in a copy of a store and checks that `annals verify` names the damaged offset.
///
/// A tagged record's value starts with a 26-byte header whose last 16 bytes are the first 16 bytes of the record's
/// chain hash (docs/FORMAT.md), and `annals verify --to N` prints that hash as `lastHash`. So the record of offset
/// N is found in the copy's data.mdb by searching for its tag; the payload follows it directly. Every occurrence is
/// changed (stale copies of a page may also hold it; changing those is harmless).
@Suite("Corruption")
struct CorruptionTests {
    /// Where to change a record, relative to the start of its chain tag.
    enum Damage: String, CaseIterable, Sendable {
        /// A payload byte: the CRC-32C (or decompression) fails.
        case payload
        /// A byte of the stored chain tag: the chain breaks there.
        case chainHash
        /// The format version byte at the start of the header.
        case header

        var delta: Int {
            switch self {
            case .payload: 16 + 3
            case .chainHash: 7
            case .header: -10
            }
        }

        var kinds: Set<String> {
            switch self {
            case .payload: ["checksum", "decompression", "envelope"]
            case .chainHash: ["chainBreak"]
            case .header: ["header"]
            }
        }
    }

    /// A store of 300 events written in three appends, so the log spans several transactions.
    private func buildStore(_ fx: CLIFixture) throws {
        try fx.initStore()
        for part in 0..<3 { try fx.append(sampleLines(100, start: part * 100)) }
    }

    /// The stored chain hash of offset `n`.
    private func hash(of n: Int, _ fx: CLIFixture, store: String? = nil) throws -> String {
        let summary = try fx.annals("verify", "--to", String(n), store: store).object()
        #expect(summary.int("to") == n)
        return try #require(summary.string("lastHash"))
    }

    /// Copies the store to `copy` and changes the byte `delta` bytes from the start of every occurrence of the tag
    /// of `hash` (its first 16 bytes) in the copy's data.mdb; returns how many places were changed.
    @discardableResult
    static func damageCopy(_ fx: CLIFixture, copy: String, hash: String, delta: Int) throws -> Int {
        try copyDirectory(fx.store, to: copy)
        let file = URL(fileURLWithPath: copy + "/data.mdb")
        var data = [UInt8](try Data(contentsOf: file))
        let needle = Array(try #require(bytes(hex: hash)).prefix(16))
        let found = positions(of: needle, in: data)
        try #require(!found.isEmpty, "the tag of \(hash) is not in data.mdb")
        for position in found {
            data[position + delta] ^= 0x5A
        }
        try Data(data).write(to: file)
        return found.count
    }

    @Test(arguments: Damage.allCases, [1, 150, 300])
    func verifyNamesTheDamagedOffset(damage: Damage, offset: Int) throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let copy = fx.path("copy")
            try Self.damageCopy(fx, copy: copy, hash: try hash(of: offset, fx), delta: damage.delta)

            let result = try fx.annals("verify", store: copy)
            #expect(result.status == Exit.damaged, "\(result)")
            let lines = result.objects()
            let problem = try #require(lines.first, "\(result)")
            #expect(problem.int("offset") == offset, "\(result)")
            #expect(damage.kinds.contains(problem.string("kind") ?? ""), "\(result)")
            #expect(!(problem.string("detail") ?? "").isEmpty)
            let summary = try #require(lines.last)
            #expect(summary.bool("intact") == false)
            #expect(summary.int("firstBadOffset") == offset)
            #expect(summary.int("records") == 300, "verify reads on past the damage")
            #expect(result.errors.contains("first bad offset \(offset):"), "\(result)")

            // Only the copy is damaged, and the records before the damaged one are still intact.
            #expect(try fx.annals("verify").status == Exit.ok)
            if offset > 1 {
                let before = try fx.annals("verify", "--to", String(offset - 1), store: copy)
                #expect(before.status == Exit.ok, "\(before)")
            }
        }
    }

    @Test func readingADamagedPayloadIsACorruptRecordError() throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let copy = fx.path("copy")
            try Self.damageCopy(fx, copy: copy, hash: try hash(of: 150, fx), delta: Damage.payload.delta)

            let get = try fx.annals("get", "150", store: copy)
            #expect(get.status == Exit.corrupt, "\(get)")
            #expect(get.errors.contains("corrupt record at offset 150"), "\(get)")
            #expect(get.stdout.isEmpty)
            #expect(try fx.annals("get", "149", store: copy).status == Exit.ok)
            #expect(try fx.annals("get", "151", store: copy).status == Exit.ok)

            let read = try fx.annals("read", store: copy)
            #expect(read.status == Exit.corrupt, "\(read)")
            #expect(read.errors.contains("corrupt record at offset 150"), "\(read)")
            #expect(read.objects().allSatisfy { ($0.int("offset") ?? 0) < 150 }, "nothing from 150 on is printed")

            // The chain hash of 150 is intact, so a range after it verifies.
            let after = try fx.annals("verify", "--from", "151", store: copy)
            #expect(after.status == Exit.ok, "\(after)")
            let range = try fx.annals("verify", "--from", "140", "--to", "160", store: copy)
            #expect(range.status == Exit.damaged, "\(range)")
            #expect(range.errors.contains("first bad offset 150"), "\(range)")
        }
    }

    @Test func aDamagedChainHashStillReadsButFailsVerify() throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let copy = fx.path("copy")
            let original = try fx.annals("get", "200").lines
            try Self.damageCopy(fx, copy: copy, hash: try hash(of: 200, fx), delta: Damage.chainHash.delta)
            #expect(try fx.annals("get", "200", store: copy).lines == original, "the payload is intact")
            let result = try fx.annals("verify", store: copy)
            #expect(result.status == Exit.damaged, "\(result)")
            #expect(result.objects().first?.string("kind") == "chainBreak")
            #expect(result.errors.contains("first bad offset 200"), "\(result)")

            // An anchor taken on the original before the damage no longer matches the copy's stored hash.
            let anchor = try #require(try fx.head().string("anchor"))
            let anchored = try fx.annals("verify", "--from", "250", "--anchor", anchor, store: copy)
            #expect(anchored.status == Exit.ok, "the damage is outside the range and the head is unchanged")
        }
    }

    @Test func aTruncatedTailIsDetectedWithAnAnchor() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(200))
            let earlyAnchor = try #require(try fx.head().string("anchor"))
            let midAnchor = "\(try hash(of: 150, fx))@150"
            let old = fx.path("old-backup")
            let backup = try fx.annals("backup", old)
            #expect(backup.status == Exit.ok, "\(backup)")
            try fx.append(sampleLines(100, start: 200))
            let lateAnchor = try #require(try fx.head().string("anchor"))
            #expect(lateAnchor.hasSuffix("@300"))

            // The old copy is a valid log on its own...
            #expect(try fx.annals("verify", store: old).status == Exit.ok)
            for anchor in [earlyAnchor, midAnchor] {
                let matched = try fx.annals("verify", "--anchor", anchor, store: old)
                #expect(matched.status == Exit.ok, "\(matched)")
                #expect(try matched.object().bool("anchorMatched") == true)
            }
            // ...but against the later anchor it is missing its tail.
            let result = try fx.annals("verify", "--anchor", lateAnchor, store: old)
            #expect(result.status == Exit.damaged, "\(result)")
            let lines = result.objects()
            let problem = try #require(lines.first)
            #expect(problem.string("kind") == "truncated")
            #expect(problem.int("offset") == 201)
            #expect(problem.string("detail")?.contains("100 record(s)") == true, "\(problem)")
            #expect(lines.last?.bool("anchorMatched") == false)
            #expect(lines.last?.int("firstBadOffset") == 201)
            #expect(result.errors.contains("first bad offset 201"), "\(result)")
            #expect(result.errors.contains("truncated"), "\(result)")

            #expect(try fx.annals("verify", "--anchor", lateAnchor).status == Exit.ok, "the live store is whole")
        }
    }

    @Test func aHeadHashDamagedPastItsTagIsNotPrintedAsAnAnchor() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(300))
            let hash = try #require(try fx.head().string("hash"))
            // The last byte of meta's chain.head, the only place the whole hash of a tagged head is stored (the
            // record holds its first 16 bytes, which are left alone).
            let copy = fx.path("copy")
            try copyDirectory(fx.store, to: copy)
            let file = URL(fileURLWithPath: copy + "/data.mdb")
            var data = [UInt8](try Data(contentsOf: file))
            let found = positions(of: try #require(bytes(hex: hash)), in: data)
            try #require(!found.isEmpty)
            for position in found { data[position + 31] ^= 1 }
            try Data(data).write(to: file)

            let head = try fx.annals("head", store: copy)
            #expect(head.status == Exit.corrupt && head.lines.isEmpty, "\(head)")
            #expect(head.errors.contains("corrupt record at offset 300"), "\(head)")
            #expect(head.errors.contains(hash), "the message names the hash the records give: \(head)")
            let backup = try fx.annals("backup", fx.path("backup"), store: copy)
            #expect(backup.status == Exit.corrupt && backup.lines.isEmpty, "\(backup)")
            let append = try fx.annals("append", store: copy, stdin: sampleLines(1, start: 300).joined(separator: "\n"))
            #expect(append.status == Exit.corrupt, "\(append)")
            let verify = try fx.annals("verify", store: copy)
            #expect(verify.status == Exit.damaged, "\(verify)")
            #expect(verify.errors.contains("first bad offset 300: chainBreak: the head's hash in meta"), "\(verify)")
            // An anchor taken before the damage is compared with the records, which still give it.
            let anchored = try fx.annals("verify", "--anchor", "\(hash)@300", store: copy)
            #expect(anchored.status == Exit.damaged, "\(anchored)")
            #expect(anchored.objects().last?.bool("anchorMatched") == true, "\(anchored)")
            #expect(anchored.objects().dropLast().map { $0.string("kind") } == ["chainBreak"], "\(anchored)")
        }
    }

    @Test func replayPrintsWhatIsLeftOfALogWhoseTailWasCutThenReportsIt() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(300))
            // The last two records removed, meta's head hash left as it was.
            let store = try EventStore(path: fx.store)
            try store.write { txn in
                for offset in [UInt64(299), 300] { try txn.delete(store.schema.events, key: offset.bigEndianBytes) }
            }
            store.close()
            let early = try fx.annals("replay", "--to", "100")
            #expect(early.status == Exit.corrupt && early.lines.count == 100, "\(early.errors)")
            let all = try fx.annals("replay")
            #expect(all.status == Exit.corrupt && all.lines.count == 298, "\(all.errors)")
            #expect(all.errors.contains("replayed the log through offset 298, but its head does not check out"))
            #expect(all.errors.contains("run 'annals verify'"))
        }
    }

    @Test func aTruncatedDataFileIsRefusedNotACrash() throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let copy = fx.path("cut-short")
            try copyDirectory(fx.store, to: copy)
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: copy + "/data.mdb"))
            try file.truncate(atOffset: 3 * 4_096)
            try file.close()
            for command in ["verify", "read", "head", "stats"] {
                let result = try fx.annals(command, store: copy)
                #expect(result.status == Exit.storage, "\(command): \(result)")
                #expect(result.errors.contains("truncatedFile"), "\(command): \(result)")
                #expect(result.errors.contains("data.mdb is 12288 bytes"), "\(command): \(result)")
            }
            #expect(try fx.annals("verify").status == Exit.ok, "the original is untouched")
        }
    }

    /// A `streams` entry changed behind the engine's back: `verify` alone finds the log intact, `verify --indexes`
    /// names the stream (exit 1).
    @Test func verifyIndexesNamesAStreamVersionThatDisagreesWithTheLog() throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let store = try EventStore(path: fx.store)
            try store.write { txn in
                try txn.put(store.schema.streams, key: Array("thing-4".utf8), value: UInt64(77).bigEndianBytes)
            }
            store.close()
            #expect(try fx.annals("verify").status == Exit.ok, "the records and the chain are intact")
            let result = try fx.annals("verify", "--indexes")
            #expect(result.status == Exit.damaged, "\(result)")
            let problem = try #require(result.objects().first)
            #expect(problem.string("kind") == "index", "\(result)")
            #expect(problem.string("detail")?.hasPrefix("streams 'thing-4': stored version 77") == true, "\(result)")
            #expect(result.errors.contains("damage found: an index disagrees with the log: streams 'thing-4'"))
            #expect(result.objects().last?.bool("intact") == false)
        }
    }

    /// A damaged leaf page of `events` in the middle of a 3,000-event log: the commands that read by offset check
    /// only the pages they follow, filtered reads those of the records their index lists (with one filter, only as
    /// many as the limit lets them read), `tail` those of each pass, and `state` those it replays, so they refuse
    /// (exit 5) what reaches the page and answer what does not.
    @Test func readsByOffsetCheckThePagesTheyFollow() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let id = UUID()
            try fx.append(sampleLines(1_499))
            try fx.append([eventLine(type: "item.created", id: id)])
            for part in 0..<3 { try fx.append(sampleLines(500, start: 1_500 + part * 500)) }
            let copy = fx.path("damaged-middle")
            try copyDirectory(fx.store, to: copy)
            // The high byte of the first node offset of every page holding record 1,500: past the page's end.
            let tag = Array(try #require(bytes(hex: try hash(of: 1_500, fx))).prefix(16))
            let file = URL(fileURLWithPath: copy + "/data.mdb")
            var data = [UInt8](try Data(contentsOf: file))
            let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))  // LMDB's page size for new stores
            for page in Set(positions(of: tag, in: data).map { $0 / pageSize }) { data[page * pageSize + 17] ^= 0xF0 }
            try Data(data).write(to: file)

            for arguments in [
                ["verify", "--from", "1", "--to", "10"], ["verify", "--from", "2990"], ["head"], ["get", "5"],
                ["read", "--from", "1", "--to", "5"], ["read", "--limit", "5"], ["read", "--reverse", "--limit", "5"],
                ["get", "--id", UUID().uuidString], ["read", "--actor", "user-3", "--to", "200"],
                ["read", "--actor", "user-3", "--limit", "5"],
                ["read", "--actor", "user-3", "--reverse", "--limit", "5"],
                ["tail", "--from", "2900", "--actor", "user-3"], ["tail", "--from", "2900"], ["state", "--at", "1000"],
            ] {
                let result = try fx.run(arguments + ["--store", copy])
                #expect([Exit.ok, Exit.notFound].contains(result.status), "\(arguments): \(result)")
            }
            let verified = try fx.annals("verify", "--from", "1490", "--to", "1510", store: copy)
            #expect(verified.status == Exit.damaged, "\(verified)")
            #expect(verified.objects().first?.string("kind") == "structure", "\(verified)")
            for arguments in [
                ["get", "1500"], ["get", "--id", id.uuidString], ["read", "--from", "1495", "--to", "1505"], ["read"],
                ["read", "--from", "1400", "--limit", "200"], ["read", "--actor", "user-3"],
                ["read", "--target", "thing-2", "--reverse"], ["read", "--actor", "user-3", "--limit", "300"],
                ["tail", "--actor", "user-3"], ["tail"], ["state", "--at", "2000"],
            ] {
                let result = try fx.run(arguments + ["--store", copy])
                #expect(result.status == Exit.storage, "\(arguments): \(result)")
                #expect(result.errors.contains("the log's pages are damaged: page "), "\(arguments): \(result)")
            }
        }
    }

    /// Bytes flipped across the data file, page headers and nodes included, in 40 copies: `verify` reports what it
    /// finds (a damaged page as `structure`, at offset 0); `replay`, `backup`, `head`, `get`, reads by offset,
    /// `tail`, `cursors`, `snapshot`, `rollback`, `plugin jobs` and `append` refuse damaged pages; none dies of a
    /// signal inside LMDB.
    @Test func verifyReplayBackupAndReadsReportDamagedPagesInsteadOfCrashing() throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let size = try #require(
                try FileManager.default.attributesOfItem(atPath: fx.store + "/data.mdb")[.size] as? Int)
            var kinds = Set<String>()
            for copyNumber in 0..<40 {
                let copy = fx.path("damaged-\(copyNumber)")
                try copyDirectory(fx.store, to: copy)
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: copy + "/data.mdb"))
                for flip in 0..<(1 + copyNumber % 4) {
                    // A fixed sweep (no randomness), past the two meta pages.
                    let position = 8_192 + (copyNumber * 7_919 + flip * 104_729) % (size - 8_192)
                    try handle.seek(toOffset: UInt64(position))
                    let byte = try #require(try handle.read(upToCount: 1)?.first)
                    try handle.seek(toOffset: UInt64(position))
                    try handle.write(contentsOf: [byte ^ UInt8(1 << ((copyNumber + flip) % 8))])
                }
                try handle.close()
                let replayed = try fx.annals("replay", store: copy)
                #expect(!replayed.signaled, "replay of copy \(copyNumber) died of signal \(replayed.status)")
                #expect([Exit.ok, Exit.storage, Exit.corrupt].contains(replayed.status), "\(replayed)")
                let backup = copy + "-backup"
                let backedUp = try fx.run(["backup", "--store", copy, backup])
                #expect(!backedUp.signaled, "backup of copy \(copyNumber) died of signal \(backedUp.status)")
                #expect([Exit.ok, Exit.storage, Exit.corrupt].contains(backedUp.status), "\(backedUp)")
                if backedUp.status != Exit.ok {
                    #expect(!FileManager.default.fileExists(atPath: backup), "a refused backup left \(backup)")
                }
                try? FileManager.default.removeItem(atPath: backup)
                for arguments in [
                    ["head"], ["get", "150"], ["read"], ["read", "--reverse", "--limit", "3"],
                    ["tail", "--from", "start"], ["cursors", "list"], ["snapshot", "list"],
                    ["rollback", "--to", "50", "--dry-run"], ["plugin", "jobs"], ["append"],
                ] {
                    let read = try fx.run(
                        arguments + ["--store", copy], stdin: Array((sampleLines(1, start: 999)[0] + "\n").utf8))
                    #expect(!read.signaled, "\(arguments) of copy \(copyNumber) died of signal \(read.status)")
                    #expect([Exit.ok, Exit.storage, Exit.corrupt].contains(read.status), "\(arguments): \(read)")
                }
                let result = try fx.annals("verify", store: copy)
                #expect(!result.signaled, "verify of copy \(copyNumber) died of signal \(result.status): \(result)")
                #expect([Exit.ok, Exit.damaged, Exit.storage, Exit.corrupt].contains(result.status), "\(result)")
                for problem in result.objects() { if let kind = problem.string("kind") { kinds.insert(kind) } }
                if result.objects().first?.string("kind") == "structure" {
                    #expect(result.errors.contains("the data file's page structure is damaged: page "), "\(result)")
                }
                try FileManager.default.removeItem(atPath: copy)
            }
            #expect(kinds.contains("structure"), "kinds found: \(kinds.sorted())")
        }
    }
}
