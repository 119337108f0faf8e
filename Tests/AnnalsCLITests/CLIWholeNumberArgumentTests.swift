import Foundation
import Testing

/// Every integer option and argument takes digits 0-9 only: a sign (`+5`, `-5`), whitespace, separators or another
/// base exit 64 with a message naming the flag and the value, before the store is opened. A duration in seconds
/// (`--timeout`) takes digits and one decimal point.
@Suite("CLI: integer options and arguments take digits only")
struct CLIWholeNumberArgumentTests {
    /// A command line with `VALUE` where an integer belongs, and what stderr must name (the flag).
    static let placesOfIntegers: [([String], String)] = [
        (["read", "--from", "VALUE"], "--from"), (["read", "--to", "VALUE"], "--to"),
        (["read", "--limit", "VALUE"], "--limit"), (["replay", "--from", "VALUE"], "--from"),
        (["replay", "--to", "VALUE"], "--to"), (["audit", "--from", "VALUE"], "--from"),
        (["audit", "--to", "VALUE"], "--to"), (["verify", "--from", "VALUE"], "--from"),
        (["verify", "--to", "VALUE"], "--to"), (["tail", "--limit", "VALUE"], "--limit"),
        (["tail", "--from", "VALUE"], "--from"), (["things", "--limit", "VALUE"], "--limit"),
        (["connections", "--limit", "VALUE"], "--limit"), (["knowledge", "--limit", "VALUE"], "--limit"),
        (["search", "x", "--limit", "VALUE"], "--limit"), (["graph", "t", "--depth", "VALUE"], "--depth"),
        (["get", "VALUE"], "<offset>"), (["dict", "train", "--samples", "VALUE"], "--samples"),
        (["snapshot", "prune", "--keep", "VALUE"], "--keep"), (["snapshot", "prune", "--before", "VALUE"], "--before"),
        (["state", "--at", "VALUE"], "--at"), (["rollback", "--to", "VALUE"], "--to"),
        (["rollback", "--to", "0", "--max-event-size", "VALUE"], "--max-event-size"),
        (["append", "--max-event-size", "VALUE"], "--max-event-size"),
        (["cursors", "reset", "billing", "--to", "VALUE"], "--to"),
        (["read", "--since", "VALUE"], "--since"), (["audit", "--until", "VALUE"], "--until"),
        (["plugin", "search", "x", "--limit", "VALUE"], "--limit"),
        (["plugin", "jobs", "--limit", "VALUE"], "--limit"),
        (
            ["plugin", "run", "echo", "echo", "--group", "acme", "--async", "--job-concurrency", "VALUE"],
            "--job-concurrency"
        ),
        (["plugin", "dispatch", "--max-attempts", "VALUE"], "--max-attempts"),
        (["plugin", "dispatch", "--backoff-ms", "VALUE"], "--backoff-ms"),
        (["plugin", "dispatch", "--fuel", "VALUE"], "--fuel"),
        (["plugin", "dispatch", "--memory-pages", "VALUE"], "--memory-pages"),
        (["plugin", "dispatch", "--max-writes", "VALUE"], "--max-writes"),
        (["plugin", "dispatch", "--max-write-bytes", "VALUE"], "--max-write-bytes"),
        (["plugin", "dispatch", "--max-kv-bytes", "VALUE"], "--max-kv-bytes"),
        (["plugin", "dead-letters", "--cascade-limit", "VALUE"], "--cascade-limit"),
        (["plugin", "rollback", "echo", "--group", "acme", "--to", "VALUE"], "--to"),
        (["sandbox-worker", "--address-space-megabytes", "VALUE"], "--address-space-megabytes"),
        (["sandbox-worker", "--cpu-seconds", "VALUE"], "--cpu-seconds"),
        (["sandbox-worker", "--parent-pid", "VALUE"], "--parent-pid"),
    ]

    @Test("a leading + is refused everywhere an integer belongs", arguments: placesOfIntegers)
    func plusSign(arguments: [String], flag: String) throws {
        try expectRefused(arguments, value: "+5", naming: flag)
    }

    @Test(
        "anything but digits is refused",
        arguments: [
            "+0", "-5", "-0", " 5", "5 ", "", "5_000", "0x10", "1e3", "5.0", "\u{0663}", "\u{FF15}",
            "18446744073709551616",
        ])
    func notDigits(value: String) throws {
        for (arguments, flag) in [
            (["read", "--limit", "VALUE"], "--limit"), (["read", "--from", "VALUE"], "--from"),
            (["get", "VALUE"], "<offset>"), (["state", "--at", "VALUE"], "--at"),
        ] where !(value.hasPrefix("-") && arguments[0] == "get") {
            try expectRefused(arguments, value: value, naming: flag)
        }
    }

    @Test(
        "a negative OFFSET, a signed anchor offset and a timeout under 1 ms are refused with messages of their own",
        arguments: [
            (["get", "-5"], "OFFSET must be a whole number from 1, got '-5'"),
            (
                ["verify", "--anchor", String(repeating: "0", count: 64) + "@+0"],
                "the offset '+0' is not a whole number"
            ),
            // Limits are whole milliseconds: 0.0001 s became a limit of 0 ms ("time limit of 0.0 seconds").
            (
                ["plugin", "run", "echo", "echo", "--group", "acme", "--timeout", "0.0001"],
                "--timeout must be within 0.001…86400 seconds"
            ),
        ])
    func ownMessages(arguments: [String], message: String) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let result = try fx.run(arguments + ["--store", fx.store])
            #expect(result.status == Exit.invalidArguments, "\(result)")
            #expect(result.errors.contains(message), "\(result)")
        }
    }

    @Test(
        "a duration in seconds takes digits and one decimal point only",
        arguments: ["+5", "-1", "1e1", "0x1p2", "inf", "nan", "5..0", ".", "", " 5", "5s"])
    func notSeconds(value: String) throws {
        try expectRefused(
            ["plugin", "run", "echo", "echo", "--group", "acme", "--timeout", "VALUE"], value: value,
            naming: "--timeout")
    }

    @Test("digits still work, leading zeros included")
    func digitsWork() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(5))
            #expect(try fx.annals("read", "--limit", "02").lines.count == 2)
            #expect(try fx.annals("read", "--from", "4").lines.count == 2)
            #expect(try fx.annals("get", "5").status == Exit.ok)
            let state = try fx.annals("state", "--at", "3")
            #expect(state.status == Exit.ok, "\(state)")
            #expect(try state.object().int("offset") == 3)
            let reset = try fx.annals("cursors", "reset", "billing", "--to", "2")
            #expect(reset.status == Exit.ok, "\(reset)")
            // A duration with a decimal point is read as one: the run gets past its options to the install check.
            for seconds in ["0.25", "600.", ".5", "5", "0.001"] {
                let run = try fx.annals("plugin", "run", "echo", "echo", "--group", "acme", "--timeout", seconds)
                #expect(run.errors.contains("is not installed in acme"), "\(seconds): \(run)")
            }
        }
    }

    /// Runs `arguments` with `value` in place of `VALUE` against an existing store: exit 64, nothing on stdout, the
    /// flag and the value named on stderr, and the log unchanged.
    private func expectRefused(
        _ arguments: [String], value: String, naming flag: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            // The hidden sandbox-worker has no --store.
            let store = arguments[0] == "sandbox-worker" ? [] : ["--store", fx.store]
            let line = arguments.map { $0 == "VALUE" ? value : $0 } + store
            let result = try fx.run(line, sourceLocation: sourceLocation)
            #expect(result.status == Exit.invalidArguments, "\(result)", sourceLocation: sourceLocation)
            #expect(result.output.isEmpty, "\(result)", sourceLocation: sourceLocation)
            #expect(result.errors.contains(flag), "\(result)", sourceLocation: sourceLocation)
            #expect(result.errors.contains("'\(value)'"), "\(result)", sourceLocation: sourceLocation)
            #expect(try fx.headOffset() == 0, sourceLocation: sourceLocation)
        }
    }
}
