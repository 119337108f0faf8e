@testable import Annals
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `annals rebuild`: verified rebuilds, a rebuild killed with SIGKILL and resumed, and bad projection names.
@Suite("annals rebuild")
struct CLIRebuildTests {
    /// A few things, a connection and a knowledge item.
    private static let smallOntology = [
        eventLine(
            type: "thing.created", actor: "u", target: "t-1", group: "org-a",
            metadata: #"{"thingType":"plugin","name":"Hub","properties":{"fw":1}}"#),
        eventLine(type: "thing.created", actor: "u", target: "t-2", group: "org-a", metadata: #"{"thingType":"lamp"}"#),
        eventLine(
            type: "connection.created", actor: "u", target: "c-1", group: "org-a",
            metadata: #"{"fromId":"t-2","toId":"t-1","connectionType":"paired_with"}"#),
        eventLine(
            type: "knowledge.added", actor: "u", target: "k-1", group: "org-a",
            metadata: #"{"thingId":"t-1","text":"Press the link button to pair."}"#),
        eventLine(type: "thing.updated", actor: "u", target: "t-1", metadata: #"{"properties":{"fw":2}}"#),
    ]

    @Test func verifiedRebuildOfEveryProjectionMatches() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(Self.smallOntology)
            let result = try fx.annals("rebuild", "--all", "--verify")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.errors.isEmpty, "no progress bar when stderr is not a terminal: \(result)")
            let lines = result.objects()
            #expect(lines.map { $0.string("projection") } == ["things", "connections", "knowledge"])
            for line in lines {
                #expect(line.int("checkpoint") == 5, "\(line)")
                #expect(line.bool("resumed") == false, "\(line)")
                #expect(line.bool("matches") == true, "\(line)")
                #expect(line.array("differences")?.isEmpty == true, "\(line)")
                let digest = try #require(line.string("digest"))
                #expect(digest.count == 64 && line.string("previousDigest") == digest, "\(line)")
            }
        }
    }

    @Test func rebuildOfNamedProjectionsPrintsNoDigests() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(Self.smallOntology)
            let before = try fx.annals("things")
            let result = try fx.annals("rebuild", "knowledge", "things", "things")
            #expect(result.status == Exit.ok, "\(result)")
            let lines = result.objects()
            #expect(lines.map { $0.string("projection") } == ["knowledge", "things"], "duplicates are dropped")
            #expect(
                lines.allSatisfy { $0.keys == ["projection", "checkpoint", "resumed", "droppedSnapshots"] }, "\(result)"
            )
            #expect(try fx.annals("things").output == before.output)
        }
    }

    @Test func verifiedRebuildOfADamagedViewExits1AndRepairsIt() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(Self.smallOntology)
            let before = try fx.annals("things")
            try Self.plantStrayEntry(fx.store, projection: "things", key: "zz-ghost")

            let result = try fx.annals("rebuild", "things", "--verify")
            #expect(result.status == Exit.damaged, "\(result)")
            let line = try result.object()
            #expect(line.bool("matches") == false, "\(line)")
            #expect(line.array("differences") as? [String] == ["things: 'zz-ghost' only in current"], "\(line)")
            #expect(line.string("digest") != line.string("previousDigest"), "\(line)")
            #expect(result.errors.contains("projection 'things': things: 'zz-ghost' only in current"), "\(result)")

            let again = try fx.annals("rebuild", "things", "--verify")
            #expect(again.status == Exit.ok, "the rebuilt view replaced the damaged one: \(again)")
            #expect(try again.object().bool("matches") == true)
            #expect(try fx.annals("things").output == before.output)
        }
    }

    /// Writes an entry the log does not explain into the live view of `projection` (its first table), as damage
    /// would; the store is opened in this process while no command runs.
    private static func plantStrayEntry(_ path: String, projection: String, key: String) throws {
        let store = try EventStore(path: path, options: StoreOptions(createIfMissing: false))
        defer { store.close() }
        let entry = try #require(store.projections.entry(projection))
        try store.write { txn in
            let slot = try #require(try store.projections.state(projection, txn.handle)).slot
            try txn.put(entry.slots[Int(slot)][0], key: Array(key.utf8), value: [1, 2, 3])
        }
    }

    @Test(arguments: [
        (["rebuild"], "--all"),
        (["rebuild", "nope"], "'nope'"),
        (["rebuild", "things", "events"], "'events'"),
        (["rebuild", "things", "--all"], "not both"),
    ])
    func badNamesExit64(arguments: [String], message: String) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let result = try fx.run(arguments + ["--store", fx.store])
            #expect(result.status == Exit.invalidArguments, "\(result)")
            #expect(result.errors.contains(message), "\(result)")
        }
    }

    /// 20,000 things created, then 180,000 property updates: 200,000 events, appended in one `annals append`.
    private static func largeInput() -> [UInt8] {
        var text = ""
        text.reserveCapacity(24 << 20)
        for i in 0..<20_000 {
            text += #"{"type":"thing.created","targetId":"thing-\#(i)","groupId":"org-\#(i % 5)","#
            text += #""metadata":{"thingType":"device","name":"Device \#(i)","properties":{"n":\#(i)}}}"# + "\n"
        }
        for j in 0..<180_000 {
            text += #"{"type":"thing.updated","targetId":"thing-\#(j % 20_000)","#
            text += #""metadata":{"properties":{"v":\#(j),"k\#(j % 7)":true}}}"# + "\n"
        }
        return Array(text.utf8)
    }

    @Test(.timeLimit(.minutes(10)))
    func killedRebuildResumesAndMatches() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let append = try fx.run(
                ["append", "--store", fx.store, "--durability", "no-sync"], stdin: Self.largeInput(), timeout: 240)
            try #require(append.status == Exit.ok, "\(append.errors)")
            #expect(append.lines.last.flatMap { JSONObject($0)?.int("offset") } == 200_000)
            let before = try fx.annals("things", "--limit", "100000")
            try #require(before.status == Exit.ok && before.lines.count == 20_000, "\(before.errors)")

            let rebuild = try fx.start(["rebuild", "--all", "--store", fx.store])
            let started = Date()
            let progressed = try Self.waitForRebuildProgress(fx.store, child: rebuild)
            rebuild.kill(SIGKILL)
            let first = rebuild.finish(timeout: 60)
            let killed = first.signaled && first.status == SIGKILL
            if !killed {
                // The rebuild finished before the kill (a fast machine): then there is nothing to resume.
                #expect(first.status == Exit.ok, "\(first)")
            } else {
                #expect(progressed, "killed after \(Date().timeIntervalSince(started)) s without seeing progress")
            }

            let again = try fx.annals("rebuild", "--all", "--verify")
            #expect(again.status == Exit.ok, "\(again)")
            let lines = again.objects()
            #expect(lines.count == 3, "\(again)")
            if killed {
                #expect(lines.contains { $0.bool("resumed") == true }, "a killed rebuild resumes: \(again)")
            }
            for line in lines {
                #expect(line.int("checkpoint") == 200_000, "\(line)")
                #expect(line.bool("matches") == true && line.array("differences")?.isEmpty == true, "\(line)")
            }
            let after = try fx.annals("things", "--limit", "100000")
            #expect(after.status == Exit.ok)
            #expect(after.output == before.output, "the rebuilt things view equals the one before")
        }
    }

    /// Polls the store (read-only, in this process) until the rebuild has committed progress for a projection, or
    /// the child exits; returns whether progress was seen.
    private static func waitForRebuildProgress(_ path: String, child: ChildProcess) throws -> Bool {
        let store = try EventStore(path: path, options: StoreOptions(readOnly: true, createIfMissing: false))
        defer { store.close() }
        var seen = false
        _ = try waitUntil(timeout: 60, interval: 0.02) {
            if !child.process.isRunning { return true }
            let progress = try store.environment.read { txn in
                try ["things", "connections", "knowledge"].compactMap {
                    try store.projections.rebuild($0, txn.handle)?.progress
                }
            }
            seen = progress.contains { $0 > 0 }
            return seen
        }
        return seen
    }
}
