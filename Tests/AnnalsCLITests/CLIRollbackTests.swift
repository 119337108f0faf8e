import Foundation
import Testing

/// Two groups: a hub with a property history in org-a, a lamp connected to it, knowledge about the hub, and a
/// person in org-b. Offsets 1…8.
private let rollbackSample = [
    eventLine(
        type: "thing.created", actor: "u", target: "t-hub", group: "org-a",
        metadata: #"{"thingType":"plugin","name":"Hub","properties":{"fw":1,"mode":"eco"}}"#),  // 1
    eventLine(
        type: "thing.created", actor: "u", target: "t-lamp", group: "org-a",
        metadata: #"{"thingType":"device","name":"Lamp"}"#),  // 2
    eventLine(
        type: "thing.created", actor: "u", target: "t-bob", group: "org-b",
        metadata: #"{"thingType":"person","name":"Bob"}"#),  // 3
    // The state the rollbacks below return to is the one after offset 3.
    eventLine(
        type: "thing.updated", actor: "u", target: "t-hub",
        metadata: #"{"name":"Hub v2","properties":{"fw":2,"mode":null,"beta":true}}"#),  // 4
    eventLine(
        type: "connection.created", actor: "u", target: "c-1", group: "org-a",
        metadata: #"{"fromId":"t-lamp","toId":"t-hub","connectionType":"pairs"}"#),  // 5
    eventLine(
        type: "knowledge.added", actor: "u", target: "k-1", group: "org-a",
        metadata: #"{"thingId":"t-hub","text":"Firmware 2 is in beta."}"#),  // 6
    eventLine(type: "thing.updated", actor: "u", target: "t-bob", metadata: #"{"status":"away"}"#),  // 7
    eventLine(type: "thing.deleted", actor: "u", target: "t-lamp", metadata: "{}"),  // 8
]

/// Runs `body` with a store holding ``rollbackSample``.
private func withRollbackSample<R>(_ body: (CLIFixture) throws -> R) throws -> R {
    try withCLIFixture { fx in
        try fx.initStore()
        try fx.append(rollbackSample)
        return try body(fx)
    }
}

/// `entity:id:action` for each change line printed.
private func changes(_ result: CLIResult) -> [String] {
    result.objects().filter { $0.string("entity") != nil }.map {
        "\($0.string("entity") ?? "?"):\($0.string("id") ?? "?"):\($0.string("action") ?? "?")"
    }
}

/// `annals rollback --to`.
@Suite("annals rollback")
struct CLIRollbackTests {
    @Test func dryRunPrintsTheDiffAndAppendsNothing() throws {
        try withRollbackSample { fx in
            let result = try fx.annals("rollback", "--to", "3", "--thing", "t-hub", "--dry-run")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(changes(result) == ["knowledge:k-1:delete", "thing:t-hub:restore"], "\(result)")
            let change = try #require(result.objects().last)
            #expect(change.keys == ["entity", "id", "action", "current", "target"], "\(change)")
            #expect(change.object("current")?.string("name") == "Hub v2")
            #expect(change.object("target")?.string("name") == "Hub")
            #expect(try fx.headOffset() == 8, "a dry run appends nothing")
        }
    }

    @Test func rollingBackAThingRestoresItsProperties() throws {
        try withRollbackSample { fx in
            let before = try fx.annals("things", "--id", "t-hub").object()
            #expect(before.string("name") == "Hub v2")
            let result = try fx.annals("rollback", "--to", "3", "--thing", "t-hub", "--actor", "ops-7")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(changes(result) == ["knowledge:k-1:delete", "thing:t-hub:restore"], "\(result)")
            let summary = try #require(result.objects().last)
            #expect(summary.keys == ["rolledBack", "toOffset", "firstOffset", "lastOffset"], "\(summary)")
            #expect(summary.int("rolledBack") == 2 && summary.int("toOffset") == 3, "\(summary)")
            #expect(summary.int("firstOffset") == 9 && summary.int("lastOffset") == 10, "\(summary)")

            let hub = try fx.annals("things", "--id", "t-hub").object()
            #expect(hub.string("name") == "Hub", "\(hub)")
            #expect(hub.object("properties")?.int("fw") == 1, "\(hub)")
            #expect(hub.object("properties")?.string("mode") == "eco", "\(hub)")
            #expect(hub.object("properties")?.keys == ["fw", "mode"], "\(hub)")
            let knowledge = try fx.annals("knowledge", "--thing", "t-hub")
            #expect(knowledge.status == Exit.ok && knowledge.lines.isEmpty, "\(knowledge)")

            // The compensating events say what they undo and who asked.
            for offset in 9...10 {
                let event = try fx.annals("get", String(offset)).object()
                #expect(event.string("actorId") == "ops-7", "\(event)")
                let rollback = event.object("metadata")?.object("rollback")
                #expect(rollback?.int("toOffset") == 3 && rollback?.string("scope") == "thing:t-hub", "\(event)")
            }
            #expect(try fx.annals("get", "10").object().string("type") == "thing.restored")

            // Nothing is left to undo: a second run appends nothing.
            let again = try fx.annals("rollback", "--to", "3", "--thing", "t-hub")
            #expect(again.lines.count == 1, "\(again)")
            let none = try again.object()
            #expect(none.int("rolledBack") == 0 && none["firstOffset"] is NSNull, "\(none)")
            #expect(try fx.headOffset() == 10)
        }
    }

    @Test func theDefaultActorIsTheCLI() throws {
        try withRollbackSample { fx in
            let result = try fx.annals("rollback", "--to", "6", "--thing", "t-bob")
            #expect(changes(result) == ["thing:t-bob:restore"], "\(result)")
            let event = try fx.annals("get", "9").object()
            #expect(event.string("actorId") == "annals-cli" && event.string("type") == "thing.restored", "\(event)")
            #expect(try fx.annals("things", "--id", "t-bob").object().string("status") == "active")
        }
    }

    @Test func groupScopeLeavesOtherGroupsAlone() throws {
        try withRollbackSample { fx in
            let result = try fx.annals("rollback", "--to", "3", "--group", "org-a")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(
                changes(result) == ["knowledge:k-1:delete", "thing:t-hub:restore", "thing:t-lamp:restore"],
                "\(result)")
            #expect(try fx.annals("things", "--id", "t-lamp").object().string("name") == "Lamp", "recreated")
            #expect(try fx.annals("things", "--id", "t-hub").object().string("name") == "Hub")
            #expect(try fx.annals("things", "--id", "t-bob").object().string("status") == "away", "org-b unchanged")
            let read = try fx.annals("read", "--from", "9")
            #expect(
                read.objects().allSatisfy {
                    $0.object("metadata")?.object("rollback")?.string("scope") == "group:org-a"
                })
        }
    }

    @Test func rollingEverythingBackToTheStart() throws {
        try withRollbackSample { fx in
            let result = try fx.annals("rollback", "--to", "0")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(try fx.annals("things").lines.isEmpty)
            #expect(try fx.annals("state", "--at", "0").object().array("things")?.isEmpty == true)
            #expect(try fx.annals("verify").status == Exit.ok, "the log is appended to, never rewritten")
        }
    }

    @Test func aRollbackTheProjectionsRejectExits8() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            // A connection of org-a pointing to a thing of org-b, which is deleted (taking the connection along).
            try fx.append([
                eventLine(type: "thing.created", target: "a", group: "org-a", metadata: #"{"thingType":"x"}"#),
                eventLine(type: "thing.created", target: "b", group: "org-b", metadata: #"{"thingType":"x"}"#),
                eventLine(
                    type: "connection.created", target: "c", group: "org-a",
                    metadata: #"{"fromId":"a","toId":"b","connectionType":"uses"}"#),
                eventLine(type: "thing.deleted", target: "b", metadata: "{}"),
            ])
            // Restoring org-a alone would bring back a connection to a thing that does not exist: the dry run says
            // so as the rollback does.
            for dryRun in [true, false] {
                let result = try fx.run(
                    ["rollback", "--to", "3", "--group", "org-a", "--store", fx.store] + (dryRun ? ["--dry-run"] : []))
                #expect(result.status == Exit.rejected, "\(result)")
                #expect(result.errors.contains("(connection.restored) rejected by projection 'connections'"))
                #expect(result.errors.contains("'b'"), "\(result)")
                // A refused plan prints no change lines: the message names the entity the event restores.
                #expect(result.output.isEmpty, "\(result)")
                #expect(
                    result.errors.contains(
                        "field 'metadata.toId': thing 'b' does not exist, in the restore of connection 'c'"),
                    "\(result)")
            }
            #expect(try fx.headOffset() == 4, "nothing of the batch was written")
        }
    }

    /// A restore that would take over an entity outside the scope is refused by the planner, and the message says
    /// so (it used to read "rejected by projection 'connections'", although no projection saw the event).
    @Test func aTakeOverIsRefusedByThePlannerAndSaysSo() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            // Connection c of org-a, deleted, then created again with the same id in org-b.
            try fx.append([
                eventLine(type: "thing.created", target: "a", group: "org-a", metadata: #"{"thingType":"x"}"#),
                eventLine(
                    type: "connection.created", target: "c", group: "org-a",
                    metadata: #"{"fromId":"a","toId":"a","connectionType":"self"}"#),
                eventLine(type: "connection.deleted", target: "c", metadata: "{}"),
                eventLine(type: "thing.created", target: "b", group: "org-b", metadata: #"{"thingType":"x"}"#),
                eventLine(
                    type: "connection.created", target: "c", group: "org-b",
                    metadata: #"{"fromId":"b","toId":"b","connectionType":"self"}"#),
            ])
            for dryRun in [true, false] {
                let result = try fx.run(
                    ["rollback", "--to", "2", "--group", "org-a", "--store", fx.store] + (dryRun ? ["--dry-run"] : []))
                #expect(result.status == Exit.rejected, "\(result)")
                #expect(
                    result.errors.contains(
                        "the rollback planner refused the event at batch index 0 (connection.restored): restoring "
                            + "connection 'c' would take over the connection of that id that exists now in group "
                            + "'org-b', outside the rollback's scope group:org-a"), "\(result)")
                #expect(!result.errors.contains("rejected by projection"), "\(result)")
            }
            #expect(try fx.headOffset() == 5, "nothing was written")
        }
    }

    @Test func aRestoreOverTheDefaultSizeLimitNeedsALargerMaxEventSize() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            // Grown by four updates of 300,000 bytes each past the 1 MiB one event may hold by default.
            let filler = String(repeating: "x", count: 300_000)
            var lines = [
                eventLine(type: "thing.created", actor: "u", target: "t-big", metadata: #"{"thingType":"log"}"#)
            ]
            for index in 0..<4 {
                lines.append(
                    eventLine(
                        type: "thing.updated", actor: "u", target: "t-big",
                        metadata: #"{"properties":{"p\#(index)":"\#(filler)"}}"#))
            }
            lines.append(
                eventLine(
                    type: "thing.updated", actor: "u", target: "t-big",
                    metadata: #"{"properties":{"p0":null,"p1":null,"p2":null,"p3":null}}"#))
            try fx.append(lines)
            for dryRun in [["--dry-run"], []] {
                let refused = try fx.run(["rollback", "--to", "5", "--thing", "t-big", "--store", fx.store] + dryRun)
                #expect(refused.status == Exit.invalidInput, "\(refused)")
                #expect(
                    refused.errors.contains("restoring thing 't-big' as of offset 5 takes an event of"), "\(refused)")
                #expect(refused.errors.contains("over this store's limit of 1048576"), "\(refused)")
                #expect(refused.errors.contains("'annals rollback --max-event-size'"), "names the flag: \(refused)")
            }
            #expect(try fx.headOffset() == 6)
            let larger = ["--max-event-size", "2097152"]
            let dry = try fx.run(
                ["rollback", "--to", "5", "--thing", "t-big", "--dry-run", "--store", fx.store] + larger)
            #expect(dry.status == Exit.ok, "\(dry)")
            #expect(changes(dry) == ["thing:t-big:restore"], "\(dry)")
            let restored = try fx.run(["rollback", "--to", "5", "--thing", "t-big", "--store", fx.store] + larger)
            #expect(restored.status == Exit.ok, "\(restored)")
            #expect(try fx.headOffset() == 7)
            let properties = try fx.annals("things", "--id", "t-big").object().object("properties")
            #expect(properties?.string("p3")?.count == 300_000)
            #expect(try fx.annals("verify").status == Exit.ok)
        }
    }

    /// A target between two events of an earlier rollback's atomic batch names a state that never existed: refused
    /// with exit 2, naming the batch and the two sound targets, by the dry run too.
    @Test func aTargetInsideAnEarlierRollbacksBatchIsRefused() throws {
        try withRollbackSample { fx in
            let first = try fx.annals("rollback", "--to", "3")
            try #require(first.status == Exit.ok, "\(first)")
            let summary = try #require(first.objects().last)
            let (start, end) = (try #require(summary.int("firstOffset")), try #require(summary.int("lastOffset")))
            try #require(end - start >= 2, "a batch of several events: \(first)")
            for target in start..<end {
                for dryRun in [[], ["--dry-run"]] {
                    let result = try fx.run(["rollback", "--to", String(target), "--store", fx.store] + dryRun)
                    #expect(result.status == Exit.invalidInput, "\(result)")
                    #expect(
                        result.errors.contains(
                            "rollback target offset \(target) is inside the batch of compensating events at offsets "
                                + "\(start)–\(end)"), "\(result)")
                    #expect(
                        result.errors.contains("roll back to \(start - 1) (before that rollback) or \(end) (after it)"),
                        "\(result)")
                }
            }
            #expect(try fx.headOffset() == end, "nothing was appended")
            for sound in [start - 1, end] {
                let result = try fx.annals("rollback", "--to", String(sound), "--dry-run")
                #expect(result.status == Exit.ok, "\(result)")
            }
            // `state --at` shows such a state, with a warning naming the batch and the two states around it.
            for target in start..<end {
                let state = try fx.annals("state", "--at", String(target))
                #expect(state.status == Exit.ok, "\(state)")
                #expect(
                    state.errors.contains(
                        "warning: offset \(target) is inside the batch of compensating events at offsets \(start)–\(end)"
                            + " that a rollback appended atomically"), "\(state)")
                #expect(state.errors.contains("--at \(start - 1) is the state before that rollback, --at \(end) the "))
            }
            for sound in [start - 1, end] {
                let state = try fx.annals("state", "--at", String(sound))
                #expect(state.status == Exit.ok && state.errors.isEmpty, "\(state)")
            }
        }
    }

    @Test func badInput() throws {
        try withRollbackSample { fx in
            let past = try fx.annals("rollback", "--to", "9")
            #expect(past.status == Exit.invalidInput, "\(past)")
            #expect(past.errors.contains("past the log head 8"), "\(past)")
            let pastDry = try fx.annals("rollback", "--to", "99", "--dry-run")
            #expect(pastDry.status == Exit.invalidInput, "\(pastDry)")
            for arguments in [
                ["rollback"], ["rollback", "--to", "x"], ["rollback", "--to", "1", "--thing", "a", "--group", "b"],
                ["rollback", "--to", "1", "--actor", ""], ["rollback", "--to", "1", "--max-event-size", "100"],
                ["rollback", "--to", "1", "--max-event-size", "268435457"],
            ] {
                let result = try fx.run(arguments + ["--store", fx.store])
                #expect(result.status == Exit.invalidArguments, "\(result)")
            }
            #expect(try fx.headOffset() == 8)
        }
    }

    /// An `--actor` no event may carry is refused before anything is planned, naming `--actor`, with or without
    /// `--dry-run` (it used to plan, then fail the append with exit 2 naming "batch index 0", and pass the dry run).
    @Test(arguments: ["ops\n7", String(repeating: "a", count: 257), "e\u{301}"])
    func anActorNoEventMayCarryExits64(actor: String) throws {
        try withRollbackSample { fx in
            for dryRun in [[], ["--dry-run"]] {
                let result = try fx.run(["rollback", "--to", "3", "--actor", actor, "--store", fx.store] + dryRun)
                #expect(result.status == Exit.invalidArguments, "\(result)")
                #expect(result.errors.contains("--actor "), "\(result)")
            }
            #expect(try fx.headOffset() == 8)
        }
    }
}
