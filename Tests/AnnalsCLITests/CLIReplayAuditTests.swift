import Foundation
import Testing

/// `annals replay` and `annals audit`: filtered ranges fixed to the head at the start, deterministic reports with
/// counts that match a brute-force count, failed actions, damage found by verification, and bad arguments.
@Suite("CLI: replay and audit")
struct CLIReplayAuditTests {
    /// 2026-01-01T00:00:00Z in ms since 1970.
    static let newYear: Int64 = 1_767_225_600_000

    static let types = [
        "item.created", "item.updated", "plugin_action_executed", "plugin_action_failed", "connection_failed",
        "sync.started",
    ]

    /// Event `i` of the audit store: one every 30 s from 2026-01-01T00:00:00Z; every 7th has no actor and every
    /// 5th no group. Failures carry `metadata.error` as a string, or not at all, or as an object.
    static func auditLine(_ i: Int) -> String {
        let type = types[i % types.count]
        var metadata = "{\"n\":\(i)}"
        if type == "plugin_action_failed" {
            metadata = "{\"error\":\"timeout after \(i) ms\",\"n\":\(i)}"
        } else if type == "connection_failed" {
            metadata = i % 4 == 0 ? "{\"code\":\(i),\"reason\":\"refused\"}" : "{\"error\":{\"z\":1,\"a\":[2,1]}}"
        }
        return eventLine(
            type: type, actor: i % 7 == 0 ? nil : "user-\(i % 5)", target: "thing-\(i % 9)",
            group: i % 5 == 0 ? nil : "org-\(i % 3)", timestamp: newYear + Int64(i) * 30_000, metadata: metadata)
    }

    /// What `audit` must say for a failed event `i`: `metadata.error` when it is a string, else the metadata.
    static func expectedError(_ i: Int) -> String {
        switch types[i % types.count] {
        case "plugin_action_failed": "timeout after \(i) ms"
        default: i % 4 == 0 ? "{\"code\":\(i),\"reason\":\"refused\"}" : "{\"error\":{\"a\":[2,1],\"z\":1}}"
        }
    }

    /// A store of `count` audit events, written in a few appends.
    private func buildStore(_ fx: CLIFixture, count: Int = 240) throws {
        try fx.initStore()
        var start = 0
        while start < count {
            let end = min(start + 97, count)
            try fx.append((start..<end).map(Self.auditLine))
            start = end
        }
    }

    private static func iso(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    // MARK: - replay

    static let replayFilters: [[String]] = [
        [],
        ["--type", "item.created"],
        ["--type", "item.created", "--type", "plugin_action_failed"],
        ["--actor", "user-3"],
        ["--group", "org-1", "--type", "plugin_action_executed"],
        ["--target", "thing-4"],
        ["--from", "50", "--to", "120"],
        ["--from", "200"],
        ["--since", "2026-01-01T00:30:00Z", "--until", "2026-01-01T01:00:00Z"],
        ["--since", "1767227400000"],
        ["--actor", "user-1", "--group", "org-2", "--from", "10", "--to", "220", "--until", "2026-01-01T01:30:00Z"],
        ["--actor", "nobody"],
    ]

    @Test func replayPrintsExactlyTheMatchingEventsAndNamesThePrefix() throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let anchor = try #require(try fx.head().string("anchor"))
            let all = try fx.readAll()
            for filter in Self.replayFilters {
                let replay = try fx.run(["replay", "--store", fx.store] + filter)
                #expect(replay.status == Exit.ok, "\(filter): \(replay)")
                #expect(replay.errors == "annals: replayed the log prefix \(anchor)\n", "\(filter): \(replay)")
                let read = try fx.run(["read", "--store", fx.store] + filter)
                #expect(replay.lines == read.lines, "\(filter): the same events as read")
                #expect(Set(replay.lines).isSubset(of: Set(all.map(\.text))))
            }
            // Brute force for one filter, independently of read.
            let brute = all.filter {
                $0.string("actorId") == "user-3" && $0.string("groupId") == "org-0"
                    && ($0.string("type") ?? "").hasSuffix("_failed")
            }
            let failed = try fx.annals(
                "replay", "--actor", "user-3", "--group", "org-0", "--type", "plugin_action_failed", "--type",
                "connection_failed")
            #expect(failed.lines == brute.map(\.text), "\(failed)")
            #expect(!brute.isEmpty)

            // An empty store: nothing, and the empty prefix.
            let empty = fx.path("empty")
            try fx.initStore(empty)
            let nothing = try fx.annals("replay", store: empty)
            #expect(nothing.status == Exit.ok && nothing.output.isEmpty, "\(nothing)")
            let emptyAnchor = try #require(try fx.head(empty).string("anchor"))
            #expect(nothing.errors == "annals: replayed the log prefix \(emptyAnchor)\n", "\(nothing)")
        }
    }

    /// While a writer appends, each replay stops at the head it found at its start, and names that prefix.
    @Test func replayDuringAppendsStopsAtTheHeadAtItsStart() throws {
        try withCLIFixture { fx in
            try buildStore(fx, count: 50)
            let writer = try fx.start(["append", "--store", fx.store])
            let stop = Locked(false)
            let feeder = Thread {
                var i = 50
                while !stop.withLock({ $0 }) && i < 100_000 {
                    let count = Int.random(in: 1...20)
                    guard writer.send((i..<i + count).map(Self.auditLine).joined(separator: "\n") + "\n") else {
                        break
                    }
                    i += count
                    usleep(UInt32.random(in: 500...3_000))
                }
                writer.closeInput()
            }
            feeder.start()
            var seen = 0
            for filter in [[], ["--type", "item.updated"], [], ["--actor", "user-2"]] {
                let replay = try fx.run(["replay", "--store", fx.store] + filter)
                #expect(replay.status == Exit.ok, "\(replay)")
                let prefix = replay.errors.components(separatedBy: "replayed the log prefix ").last?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let parts = try #require(prefix?.split(separator: "@").map(String.init), "\(replay)")
                try #require(parts.count == 2, "\(replay)")
                let offset = try #require(Int(parts[1]))
                #expect(offset >= seen, "a later replay never covers less")
                seen = offset
                // The hash is the chain hash of that offset…
                let verify = try fx.annals("verify", "--to", String(offset)).object()
                #expect(verify.string("lastHash") == parts[0], "\(verify)")
                // …and the events are exactly the matching ones up to it.
                let read = try fx.run(["read", "--to", String(offset), "--store", fx.store] + filter)
                #expect(replay.lines == read.lines, "\(filter) through \(offset)")
                if filter.isEmpty { #expect(replay.offsets == Array(1...offset)) }
            }
            stop.withLock { $0 = true }
            let written = writer.finish(timeout: 60, closingInput: false)
            #expect(written.status == Exit.ok, "\(written)")
            #expect(try fx.headOffset() >= seen)
        }
    }

    // MARK: - audit

    @Test func auditJSONIsByteIdenticalAcrossRunsAndCopies() throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let backup = fx.path("backup")
            let made = try fx.annals("backup", backup)
            #expect(made.status == Exit.ok, "\(made)")
            let copy = fx.path("copy")
            try copyDirectory(fx.store, to: copy)
            let variants: [[String]] = [
                ["--format", "json"],
                [],
                ["--format", "table"],
                ["--format", "json", "--actor", "user-2", "--since", "2026-01-01T00:20:00Z"],
                ["--format", "json", "--group", "org-1", "--from", "30", "--to", "200"],
            ]
            for variant in variants {
                let first = try fx.run(["audit", "--store", fx.store] + variant)
                #expect(first.status == Exit.ok && first.errors.isEmpty, "\(variant): \(first)")
                #expect(!first.output.isEmpty)
                for store in [fx.store, backup, copy] {
                    let again = try fx.run(["audit", "--store", store] + variant)
                    #expect(again.status == Exit.ok, "\(variant) on \(store): \(again)")
                    let identical = again.stdout == first.stdout
                    #expect(
                        identical, "\(variant) on \(store): byte-identical output:\n\(first.output)\n\(again.output)")
                }
            }
            // The JSON report is one canonical line.
            let json = try fx.annals("audit", "--format", "json")
            #expect(json.output.filter { $0 == "\n" }.count == 1 && json.output.hasSuffix("}\n"))
            // `jsonl`, as the other commands spell it, is the same line.
            #expect(try fx.annals("audit", "--format", "jsonl").output == json.output)
        }
    }

    @Test func auditCountsMatchABruteForceCountFromRead() throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let head = try fx.head()
            let events = try fx.readAll()
            let result = try fx.annals("audit", "--format", "json")
            #expect(result.status == Exit.ok && result.errors.isEmpty, "\(result)")
            let report = try result.object()
            try expectReport(report, matches: events, head: head, range: (1, 240))
        }
    }

    /// Checks a JSON audit report against the events that should have passed its filters.
    private func expectReport(
        _ report: JSONObject, matches events: [JSONObject], head: JSONObject, range: (Int, Int),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(report.string("anchor") == head.string("anchor"), "\(report)", sourceLocation: sourceLocation)
        let covered = try #require(report.object("coveredPrefix"), sourceLocation: sourceLocation)
        #expect(covered.int("lastOffset") == head.int("offset"), sourceLocation: sourceLocation)
        #expect(covered.string("hash") == head.string("hash"), sourceLocation: sourceLocation)
        let reportRange = try #require(report.object("range"), sourceLocation: sourceLocation)
        #expect(reportRange.int("from") == range.0 && reportRange.int("to") == range.1, sourceLocation: sourceLocation)
        let verification = try #require(report.object("verification"), sourceLocation: sourceLocation)
        #expect(verification.bool("intact") == true, sourceLocation: sourceLocation)
        #expect(verification.int("recordsChecked") == range.1 - range.0 + 1, sourceLocation: sourceLocation)
        #expect((verification.array("problems") ?? [1]).isEmpty, sourceLocation: sourceLocation)

        #expect(report.int("events") == events.count, sourceLocation: sourceLocation)

        var types: [String: Int] = [:]
        for event in events { types[event.string("type") ?? "?", default: 0] += 1 }
        let reportedTypes = (report.object("types")?.raw ?? [:]).mapValues { ($0 as? NSNumber)?.intValue ?? -1 }
        #expect(reportedTypes == types, sourceLocation: sourceLocation)

        // Events without an actor are counted under `"actor": null`, first.
        let byActor = Dictionary(grouping: events) { $0.string("actorId") }
        let actors = (report.array("actors") ?? []).compactMap { ($0 as? [String: Any]).map(JSONObject.init(raw:)) }
        let expectedActors = (byActor.keys.contains(nil) ? [nil] : []) + byActor.keys.compactMap { $0 }.sorted()
        #expect(actors.map { $0.string("actor") } == expectedActors, sourceLocation: sourceLocation)
        for actor in actors {
            let name = actor.string("actor")
            #expect(name != nil || actor.raw["actor"] is NSNull, "\(actor)", sourceLocation: sourceLocation)
            let mine = byActor[name] ?? []
            #expect(actor.int("events") == mine.count, "\(actor)", sourceLocation: sourceLocation)
            let timestamps = mine.compactMap { $0.int("timestamp").map(Int64.init) }
            #expect(actor.string("first") == timestamps.min().map(Self.iso), "\(actor)", sourceLocation: sourceLocation)
            #expect(actor.string("last") == timestamps.max().map(Self.iso), "\(actor)", sourceLocation: sourceLocation)
            var perType: [String: Int] = [:]
            for event in mine { perType[event.string("type") ?? "?", default: 0] += 1 }
            let reported = (actor.object("types")?.raw ?? [:]).mapValues { ($0 as? NSNumber)?.intValue ?? -1 }
            #expect(reported == perType, "\(actor)", sourceLocation: sourceLocation)
        }

        let failed = events.filter { ($0.string("type") ?? "").hasSuffix("_failed") }
        let failures = (report.array("failures") ?? []).compactMap { ($0 as? [String: Any]).map(JSONObject.init(raw:)) }
        #expect(failures.map { $0.int("offset") } == failed.map { $0.int("offset") }, sourceLocation: sourceLocation)
        for (failure, event) in zip(failures, failed) {
            #expect(failure.string("type") == event.string("type"), sourceLocation: sourceLocation)
            #expect(failure.string("actorId") == event.string("actorId"), sourceLocation: sourceLocation)
            #expect(failure.string("targetId") == event.string("targetId"), sourceLocation: sourceLocation)
            #expect(failure.string("groupId") == event.string("groupId"), sourceLocation: sourceLocation)
            #expect(
                failure.string("time") == event.int("timestamp").map { Self.iso(Int64($0)) },
                sourceLocation: sourceLocation)
            // Event i of the audit store is at offset i + 1.
            let i = (event.int("offset") ?? 0) - 1
            #expect(failure.string("error") == Self.expectedError(i), "\(failure)", sourceLocation: sourceLocation)
        }
    }

    /// Events without an actor and events whose actor's id is `-` are two rows of the report: the JSON form counts
    /// the first under `"actor": null` (it merged both under `"-"`, so an auditor could not tell them apart), and
    /// `--actor -` counts only the second.
    @Test func auditKeepsEventsWithoutAnActorApartFromTheActorDash() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append([
                eventLine(type: "item.created", target: "t", timestamp: Self.newYear),
                eventLine(type: "item.updated", actor: "-", target: "t", timestamp: Self.newYear + 1_000),
                eventLine(type: "item.updated", actor: "-", target: "t", timestamp: Self.newYear + 2_000),
                eventLine(type: "item.deleted", actor: "bob", target: "t", timestamp: Self.newYear + 3_000),
            ])
            let result = try fx.annals("audit", "--format", "json")
            #expect(result.status == Exit.ok && result.errors.isEmpty, "\(result)")
            let actors = try #require(try result.object().array("actors")).compactMap {
                ($0 as? [String: Any]).map(JSONObject.init(raw:))
            }
            #expect(actors.map { $0.string("actor") } == [nil, "-", "bob"], "\(result)")
            #expect(actors.first?.raw["actor"] is NSNull, "\(result)")
            #expect(actors.map { $0.int("events") } == [1, 2, 1], "\(result)")
            #expect(actors.first?.object("types")?.raw.keys.sorted() == ["item.created"], "\(result)")

            let dash = try fx.annals("audit", "--format", "json", "--actor", "-")
            let dashActors = try #require(try dash.object().array("actors")).compactMap {
                ($0 as? [String: Any]).map(JSONObject.init(raw:))
            }
            #expect(dashActors.map { $0.string("actor") } == ["-"], "\(dash)")
            #expect(dashActors.map { $0.int("events") } == [2], "\(dash)")

            let table = try fx.annals("audit", "--format", "table")
            #expect(table.lines.filter { $0.hasPrefix("- ") }.count == 2, "one row each: \(table)")
        }
    }

    @Test func auditTableStatesTheAnchorAndTheFailures() throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let anchor = try #require(try fx.head().string("anchor"))
            let table = try fx.annals("audit", "--format", "table")
            #expect(table.status == Exit.ok && table.errors.isEmpty, "\(table)")
            let lines = table.lines
            #expect(lines.first == "AUDIT REPORT")
            #expect(lines.contains("covers the log prefix   \(anchor)"), "\(table)")
            #expect(lines.contains("offset range            1…240"), "\(table)")
            #expect(lines.contains("chain verification      intact (240 records)"), "\(table)")
            #expect(lines.contains("events matched          240"), "\(table)")
            let failed = try fx.annals("read", "--type", "plugin_action_failed", "--type", "connection_failed")
                .offsets
            #expect(lines.contains("FAILED ACTIONS (\(failed.count))"), "\(table)")
            let failureRows = lines.filter { $0.hasPrefix("#") }.compactMap {
                Int($0.dropFirst().prefix { $0.isNumber })
            }
            #expect(failureRows == failed, "every failed action is listed, in offset order")
            #expect(lines.contains { $0.hasPrefix("#4 ") && $0.contains("timeout after 3 ms") }, "\(table)")
            #expect(lines.contains { $0.hasPrefix("plugin_action_failed ") && $0.hasSuffix(" 40") }, "\(table)")
        }
    }

    /// The filters narrow the events counted; the range also narrows the verification. Each report is compared
    /// with a brute-force count over `annals read`.
    @Test func auditFilters() throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let head = try fx.head()
            let all = try fx.readAll()
            let time = { (event: JSONObject) in Int64(event.int("timestamp") ?? 0) }
            let offset = { (event: JSONObject) in event.int("offset") ?? 0 }
            let minute: Int64 = 60_000
            typealias Case = (
                arguments: [String], range: (Int, Int), filters: [String: String], passes: (JSONObject) -> Bool
            )
            let cases: [Case] = [
                (["--actor", "user-1"], (1, 240), ["actor": "user-1"], { $0.string("actorId") == "user-1" }),
                (["--group", "org-2"], (1, 240), ["group": "org-2"], { $0.string("groupId") == "org-2" }),
                (
                    ["--since", "2026-01-01T00:10:00Z", "--until", "2026-01-01T00:40:00Z"], (1, 240),
                    ["since": "2026-01-01T00:10:00.000Z", "until": "2026-01-01T00:40:00.000Z"],
                    { time($0) >= Self.newYear + 10 * minute && time($0) < Self.newYear + 40 * minute }
                ),
                (
                    ["--since", String(Self.newYear + 100 * minute)], (1, 240),
                    ["since": "2026-01-01T01:40:00.000Z"], { time($0) >= Self.newYear + 100 * minute }
                ),
                (["--from", "50", "--to", "120"], (50, 120), [:], { (50...120).contains(offset($0)) }),
                (["--from", "200", "--to", "9999"], (200, 240), [:], { offset($0) >= 200 }),
                (
                    ["--actor", "user-3", "--group", "org-1", "--from", "20", "--to", "230", "--since", "2026-01-01"],
                    (20, 230), ["actor": "user-3", "group": "org-1", "since": "2026-01-01T00:00:00.000Z"],
                    {
                        $0.string("actorId") == "user-3" && $0.string("groupId") == "org-1"
                            && (20...230).contains(offset($0))
                    }
                ),
                (["--actor", "nobody"], (1, 240), ["actor": "nobody"], { _ in false }),
                (["--target", "thing-4"], (1, 240), ["target": "thing-4"], { $0.string("targetId") == "thing-4" }),
            ]
            for (arguments, range, filters, passes) in cases {
                let result = try fx.run(["audit", "--format", "json", "--store", fx.store] + arguments)
                #expect(result.status == Exit.ok && result.errors.isEmpty, "\(arguments): \(result)")
                let report = try result.object()
                let expected = all.filter(passes)
                #expect(arguments.contains("nobody") || !expected.isEmpty)
                try expectReport(report, matches: expected, head: head, range: range)
                let reportedFilters = (report.object("filters")?.raw ?? [:]).mapValues { "\($0)" }
                #expect(reportedFilters == filters, "\(arguments): \(report.object("filters") ?? report)")
            }
            // `--type`, exact or a pattern, repeatable, as `read` takes it (audit had no such filter).
            let failures = try fx.run(
                ["audit", "--type", "*_failed", "--type", "sync.started", "--group", "org-1", "--store", fx.store])
            #expect(failures.status == Exit.ok, "\(failures)")
            let report = try failures.object()
            try expectReport(
                report,
                matches: all.filter {
                    let type = $0.string("type") ?? ""
                    return (type.hasSuffix("_failed") || type == "sync.started") && $0.string("groupId") == "org-1"
                }, head: head, range: (1, 240))
            #expect(report.object("filters")?.array("types") as? [String] == ["*_failed", "sync.started"])
        }
    }

    @Test(arguments: CorruptionTests.Damage.allCases)
    func auditOfADamagedCopyExits1AndNamesTheOffset(_ damage: CorruptionTests.Damage) throws {
        try withCLIFixture { fx in
            try buildStore(fx)
            let copy = fx.path("copy")
            let hash = try #require(try fx.annals("verify", "--to", "150").object().string("lastHash"))
            try CorruptionTests.damageCopy(fx, copy: copy, hash: hash, delta: damage.delta)

            let json = try fx.annals("audit", "--format", "json", store: copy)
            #expect(json.status == Exit.damaged, "\(json)")
            #expect(json.errors.contains("first bad offset 150"), "\(json)")
            let report = try json.object()
            let verification = try #require(report.object("verification"))
            #expect(verification.bool("intact") == false)
            let problem = try #require(
                (verification.array("problems") ?? []).first.flatMap {
                    ($0 as? [String: Any]).map(JSONObject.init(raw:))
                })
            #expect(problem.int("offset") == 150, "\(problem)")
            #expect(!(problem.string("kind") ?? "").isEmpty && !(problem.string("detail") ?? "").isEmpty)

            let table = try fx.annals("audit", "--format", "table", store: copy)
            #expect(table.status == Exit.damaged, "\(table)")
            #expect(table.errors.contains("first bad offset 150"), "\(table)")
            #expect(table.lines.contains { $0.hasPrefix("chain verification      DAMAGED") }, "\(table)")
            #expect(table.lines.contains { $0.hasPrefix("offset 150: ") }, "\(table)")

            // A range that ends before the damage is intact; the original store is untouched.
            let before = try fx.annals("audit", "--to", "149", "--format", "json", store: copy)
            #expect(before.status == Exit.ok, "\(before)")
            #expect(try fx.annals("audit").status == Exit.ok)
        }
    }

    static let badAuditArguments: [[String]] = [
        ["--from", "0"],
        ["--from", "5", "--to", "3"],
        ["--from=-1"],
        ["--to", "ten"],
        ["--format", "xml"],
        ["--format", "csv"],
        ["--since", "yesterday"],
        ["--until", "2026-13-01"],
        ["--actor"],
        ["--type", "item created"],
        ["--target", ""],
        ["--bogus"],
    ]

    @Test(arguments: badAuditArguments)
    func auditBadArgumentsExit64(_ arguments: [String]) throws {
        try withCLIFixture { fx in
            try buildStore(fx, count: 10)
            let result = try fx.run(["audit", "--store", fx.store] + arguments)
            #expect(result.status == Exit.invalidArguments, "\(result)")
            #expect(result.output.isEmpty && !result.errors.isEmpty, "\(result)")
        }
    }

    static let badReplayArguments: [[String]] = [
        ["--from", "0"],
        ["--from", "9", "--to", "2"],
        ["--since", "soon"],
        ["--since", "2026-01-02", "--until", "2026-01-01"],
        ["--since", "2026-01-01", "--until", "2026-01-01"],
        ["--limit", "5"],
        ["--format", "table"],
    ]

    @Test(arguments: badReplayArguments)
    func replayBadArgumentsExit64(_ arguments: [String]) throws {
        try withCLIFixture { fx in
            try buildStore(fx, count: 10)
            let result = try fx.run(["replay", "--store", fx.store] + arguments)
            #expect(result.status == Exit.invalidArguments, "\(result)")
            #expect(result.output.isEmpty && !result.errors.isEmpty, "\(result)")
        }
    }

    /// An empty time window is a usage error for replay and read; audit must treat it the same way rather than
    /// print a report of nothing.
    @Test(arguments: [
        ["--since", "2026-01-02", "--until", "2026-01-01"],
        ["--since", "2026-01-01", "--until", "2026-01-01"],
    ])
    func auditRejectsAnEmptyTimeWindowLikeReplay(_ arguments: [String]) throws {
        try withCLIFixture { fx in
            try buildStore(fx, count: 10)
            let replay = try fx.run(["replay", "--store", fx.store] + arguments)
            #expect(replay.status == Exit.invalidArguments, "\(replay)")
            let audit = try fx.run(["audit", "--store", fx.store] + arguments)
            #expect(audit.status == Exit.invalidArguments, "\(audit)")
            #expect(audit.output.isEmpty, "\(audit)")
        }
    }
}
