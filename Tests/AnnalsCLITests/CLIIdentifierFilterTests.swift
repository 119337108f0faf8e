import Foundation
import Testing

/// The ids given to filters (`--actor`, `--target`, `--group`, `--thing`, `--id`, `--from`, `--to`, graph's `ID`)
/// follow the engine's rule for an event's ids: an id no event can carry exits 64 naming the flag; one it can carry
/// (whitespace included) is looked up, in any Unicode spelling.
@Suite("CLI: id filters follow the engine's rule for ids")
struct CLIIdentifierFilterTests {
    @Test(
        "an id no event can carry exits 64 naming the flag",
        arguments: [
            (["read", "--actor", "\t"], "--actor contains a control character"),
            (["replay", "--target", " \n "], "--target contains a control character"),
            (["audit", "--group", "org\u{7F}"], "--group contains a control character"),
            (["tail", "--actor", "\r"], "--actor contains a control character"),
            (["things", "--id", "t\u{1}"], "--id contains a control character"),
            (["connections", "--from", "\t"], "--from contains a control character"),
            (["connections", "--to", String(repeating: "t", count: 257)], "--to is 257 bytes, longer than 256"),
            (["knowledge", "--thing", "\n"], "--thing contains a control character"),
            (["graph", "\t"], "ID contains a control character"),
            (["search", "x", "--group", "\u{1B}[31m"], "--group contains a control character"),
            (["state", "--at", "0", "--thing", "\t"], "--thing contains a control character"),
            (["rollback", "--to", "0", "--group", String(repeating: "é", count: 129)], "--group is 258 bytes"),
            (["read", "--target", ""], "--target cannot be empty"),
        ])
    func refusedIds(arguments: [String], message: String) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3))
            let result = try fx.run(arguments + ["--store", fx.store])
            #expect(result.status == Exit.invalidArguments, "\(result)")
            #expect(result.errors.contains(message), "\(result)")
            #expect(result.output.isEmpty, "\(result)")
            #expect(try fx.headOffset() == 3)
        }
    }

    @Test(
        "an organization filter of the plugin commands must be an organization's name",
        arguments: [
            ["plugin", "jobs"], ["plugin", "subscriptions"], ["plugin", "dispatch"], ["plugin", "dead-letters"],
        ]
    )
    func organizationFilters(arguments: [String]) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            for organization in [" ", "", "a b", "\t"] {
                let result = try fx.run(arguments + ["--group", organization, "--store", fx.store])
                #expect(result.status == Exit.invalidArguments, "\(result)")
                #expect(result.errors.contains("organization"), "\(result)")
                #expect(result.output.isEmpty, "\(result)")
            }
            #expect(try fx.headOffset() == 0)
        }
    }

    @Test("an id of spaces is an id events may carry: the filters find it")
    func spacesAreAnId() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append([
                eventLine(type: "note.added", actor: " ", target: " ", group: " "),
                eventLine(
                    type: "thing.created", actor: "u", target: "  ", metadata: #"{"thingType":"lamp","name":"Blank"}"#),
            ])
            for flag in ["--actor", "--target", "--group"] {
                let result = try fx.annals("read", flag, " ")
                #expect(result.status == Exit.ok, "\(result)")
                #expect(result.objects().map { $0.int("offset") } == [1], "\(result)")
            }
            let things = try fx.annals("things", "--id", "  ")
            #expect(things.status == Exit.ok, "\(things)")
            #expect(things.objects().map { $0.string("name") } == ["Blank"], "\(things)")
            let state = try fx.annals("state", "--at", "2", "--thing", "  ")
            #expect(state.status == Exit.ok, "\(state)")
            #expect(try state.object().array("things")?.count == 1, "\(state)")
        }
    }

    @Test("an id spelled in another Unicode form finds the events of its NFC spelling")
    func otherSpelling() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append([eventLine(type: "note.added", actor: "jos\u{E9}")])
            let result = try fx.annals("read", "--actor", "jose\u{301}")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.lines.count == 1, "\(result)")
        }
    }
}
