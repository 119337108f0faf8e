import Foundation
import Testing

/// One event of the read fixture, as the test wrote it.
struct ReadSample: Sendable {
    var offset: Int
    var type: String
    var actor: String?
    var target: String?
    var group: String
    var timestamp: Int64
    var version: Int

    /// 60 events a minute apart with 3 types, 4 actors (one event with none), 5 targets (one with none) and 2 groups.
    static let all: [ReadSample] = {
        let types = ["item.created", "item.updated", "plugin.action"]
        var versions: [String: Int] = [:]
        return (0..<60).map { i in
            let target: String? = i == 7 ? nil : "thing-\(i % 5)"
            let version =
                target.map { t -> Int in
                    versions[t, default: 0] += 1
                    return versions[t]!
                } ?? 0
            return ReadSample(
                offset: i + 1, type: types[i % 3], actor: i == 11 ? nil : "user-\(i % 4)", target: target,
                group: "org-\(i % 2)", timestamp: base + Int64(i) * 60_000, version: version)
        }
    }()

    static let base: Int64 = 1_790_000_000_000

    var line: String {
        eventLine(
            type: type, actor: actor, target: target, group: group, timestamp: timestamp,
            metadata: "{\"i\":\(offset)}")
    }

    static func iso(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// ``iso(_:)`` with `finer` digits after the millisecond: a time between two milliseconds.
    static func iso(_ milliseconds: Int64, finer: String) -> String {
        String(iso(milliseconds).dropLast()) + finer + "Z"
    }
}

/// A `read` invocation and the events it must print.
struct ReadCase: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var filter: @Sendable (ReadSample) -> Bool
    var reverse = false
    var limit: Int?

    var testDescription: String { arguments.isEmpty ? "(no filters)" : arguments.joined(separator: " ") }

    var expected: [Int] {
        var selected = ReadSample.all.filter(filter)
        if reverse { selected.reverse() }
        if let limit { selected = Array(selected.prefix(limit)) }
        return selected.map(\.offset)
    }

    static let all: [ReadCase] = {
        let base = ReadSample.base
        let minute: Int64 = 60_000
        return [
            ReadCase(arguments: [], filter: { _ in true }),
            ReadCase(arguments: ["--from", "10", "--to", "20"], filter: { (10...20).contains($0.offset) }),
            ReadCase(arguments: ["--from", "55"], filter: { $0.offset >= 55 }),
            ReadCase(arguments: ["--to", "5"], filter: { $0.offset <= 5 }),
            ReadCase(arguments: ["--from", "1000"], filter: { _ in false }),
            ReadCase(arguments: ["--type", "item.updated"], filter: { $0.type == "item.updated" }),
            ReadCase(
                arguments: ["--type", "item.updated", "--type", "plugin.action"],
                filter: { $0.type == "item.updated" || $0.type == "plugin.action" }),
            ReadCase(arguments: ["--type", "no.such.type"], filter: { _ in false }),
            ReadCase(arguments: ["--type", "item.*"], filter: { $0.type.hasPrefix("item.") }),
            ReadCase(
                arguments: ["--type", "*.?ction", "--type", "item.cr*", "--reverse", "--limit", "4"],
                filter: { $0.type == "plugin.action" || $0.type == "item.created" }, reverse: true, limit: 4),
            ReadCase(
                arguments: ["--type", "item.*", "--group", "org-1"],
                filter: { $0.type.hasPrefix("item.") && $0.group == "org-1" }),
            ReadCase(arguments: ["--type", "no.*"], filter: { _ in false }),
            ReadCase(arguments: ["--actor", "user-2"], filter: { $0.actor == "user-2" }),
            ReadCase(arguments: ["--actor", "nobody"], filter: { _ in false }),
            ReadCase(arguments: ["--target", "thing-3"], filter: { $0.target == "thing-3" }),
            ReadCase(arguments: ["--group", "org-1"], filter: { $0.group == "org-1" }),
            ReadCase(
                arguments: ["--target", "thing-3", "--type", "item.created"],
                filter: { $0.target == "thing-3" && $0.type == "item.created" }),
            ReadCase(
                arguments: ["--actor", "user-1", "--group", "org-1", "--from", "10"],
                filter: { $0.actor == "user-1" && $0.group == "org-1" && $0.offset >= 10 }),
            ReadCase(
                arguments: ["--since", String(base + 10 * minute)], filter: { $0.timestamp >= base + 10 * minute }),
            ReadCase(
                arguments: ["--until", String(base + 10 * minute)], filter: { $0.timestamp < base + 10 * minute }),
            ReadCase(
                arguments: [
                    "--since", ReadSample.iso(base + 20 * minute + 1), "--until", ReadSample.iso(base + 30 * minute),
                ],
                filter: { $0.timestamp > base + 20 * minute && $0.timestamp < base + 30 * minute }),
            // A tenth of a millisecond after an event: --since leaves it out and --until takes it.
            ReadCase(
                arguments: [
                    "--since", ReadSample.iso(base + 20 * minute, finer: "1"), "--until",
                    ReadSample.iso(base + 30 * minute, finer: "4"),
                ],
                filter: { $0.timestamp > base + 20 * minute && $0.timestamp <= base + 30 * minute }),
            ReadCase(
                arguments: ["--type", "item.created", "--since", String(base + 30 * minute), "--group", "org-0"],
                filter: { $0.type == "item.created" && $0.timestamp >= base + 30 * minute && $0.group == "org-0" }),
            ReadCase(arguments: ["--limit", "7"], filter: { _ in true }, limit: 7),
            ReadCase(arguments: ["--limit", "0"], filter: { _ in true }, limit: 0),
            ReadCase(arguments: ["--reverse"], filter: { _ in true }, reverse: true),
            ReadCase(arguments: ["--reverse", "--limit", "3"], filter: { _ in true }, reverse: true, limit: 3),
            ReadCase(
                arguments: ["--target", "thing-3", "--reverse", "--limit", "2"], filter: { $0.target == "thing-3" },
                reverse: true, limit: 2),
            ReadCase(
                arguments: ["--type", "plugin.action", "--from", "20", "--to", "40", "--reverse"],
                filter: { $0.type == "plugin.action" && (20...40).contains($0.offset) }, reverse: true),
        ]
    }()
}

/// `annals read` and `annals get`.
@Suite("CLI: read and get")
struct CLIReadGetTests {
    /// A store holding ``ReadSample/all``.
    private func withSampleStore(_ body: (CLIFixture) throws -> Void) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let receipts = try fx.append(ReadSample.all.map(\.line))
            try #require(receipts.map { $0.int("offset") } == ReadSample.all.map(\.offset))
            try body(fx)
        }
    }

    @Test(arguments: ReadCase.all)
    func readFilters(_ readCase: ReadCase) throws {
        try withSampleStore { fx in
            let result = try fx.run(["read", "--store", fx.store] + readCase.arguments)
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.errors.isEmpty, "\(result)")
            let events = result.objects()
            #expect(events.compactMap { $0.int("offset") } == readCase.expected)
            for event in events {
                let sample = ReadSample.all[event.int("offset")! - 1]
                #expect(event.string("type") == sample.type)
                #expect(event.string("actorId") == sample.actor)
                #expect(event.string("targetId") == sample.target)
                #expect(event.string("groupId") == sample.group)
                #expect(event.int("timestamp") == Int(sample.timestamp))
                #expect(event.int("version") == sample.version)
                #expect(event.object("metadata")?.int("i") == sample.offset)
            }
        }
    }

    /// Timestamps are any whole milliseconds from 0 to Int64.max; time filters must find both ends.
    @Test func extremeTimestampsAreFoundByTimeFilters() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            // The latest accepted timestamp is 9999-12-31T23:59:59.999Z; one past it is refused.
            let latest: Int64 = 253_402_300_799_999
            let refused = try fx.annals("append", stdin: eventLine(type: "late", timestamp: latest + 1) + "\n")
            #expect(refused.status == Exit.invalidInput && refused.errors.contains("9999-12-31"), "\(refused)")
            try fx.append([
                eventLine(type: "zero", timestamp: 0), eventLine(type: "max", timestamp: latest),
                eventLine(type: "now", timestamp: ReadSample.base),
            ])
            let all = try fx.readAll()
            #expect(all.map { $0.string("type") } == ["zero", "max", "now"])
            #expect(all[1]["timestamp"] as? NSNumber == NSNumber(value: latest), "\(all[1])")

            let cases: [([String], [String])] = [
                (["--since", "1"], ["max", "now"]),
                (["--since", "0"], ["zero", "max", "now"]),
                (["--since", String(ReadSample.base + 1)], ["max"]),
                (["--since", String(ReadSample.base + 1), "--reverse"], ["max"]),
                (["--until", "1"], ["zero"]),
                (["--until", String(latest)], ["zero", "now"]),
                (["--until", String(Int64.max)], ["zero", "max", "now"]),
            ]
            for (arguments, types) in cases {
                let result = try fx.run(["read", "--store", fx.store] + arguments)
                #expect(result.status == Exit.ok, "\(result)")
                #expect(result.objects().map { $0.string("type") } == types, "read \(arguments): \(result)")
            }
            #expect(try fx.annals("read", "--format", "table").status == Exit.ok)
        }
    }

    @Test func readPrintsFieldsInTheDocumentedOrder() throws {
        try withSampleStore { fx in
            let lines = try fx.annals("read", "--to", "1").lines
            try #require(lines.count == 1)
            let line = lines[0]
            let keys = ["offset", "id", "type", "actorId", "targetId", "groupId", "timestamp", "version", "metadata"]
            let positions = keys.compactMap { line.range(of: "\"\($0)\":")?.lowerBound }
            #expect(positions.count == keys.count, "\(line)")
            #expect(positions == positions.sorted(), "keys out of order: \(line)")
            #expect(line.hasPrefix("{\"offset\":1,"))
        }
    }

    @Test func readAsATable() throws {
        try withSampleStore { fx in
            let result = try fx.annals("read", "--format", "table", "--to", "12")
            #expect(result.status == Exit.ok, "\(result)")
            let lines = result.lines
            try #require(lines.count == 13, "\(result)")
            for column in ["OFFSET", "TIME", "TYPE", "ACTOR", "TARGET", "GROUP", "VERSION"] {
                #expect(lines[0].contains(column), "\(lines[0])")
            }
            #expect(JSONObject(lines[1]) == nil, "a table is not JSON")
            for (row, sample) in zip(lines.dropFirst(), ReadSample.all) {
                let cells = row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                #expect(cells.first == String(sample.offset), "\(row)")
                #expect(cells.contains(sample.type), "\(row)")
                #expect(cells.contains(sample.target ?? "-"), "\(row)")
                #expect(cells.contains(sample.actor ?? "-"), "\(row)")
                #expect(cells.last == String(sample.version), "\(row)")
                #expect(row.contains(ReadSample.iso(sample.timestamp).prefix(19)), "\(row)")
            }
            let filtered = try fx.annals("read", "--format", "table", "--type", "no.such.type")
            #expect(filtered.status == Exit.ok)
            #expect(filtered.lines.count == 1, "only the header: \(filtered)")
        }
    }

    @Test func readingAnEmptyStorePrintsNothing() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let result = try fx.annals("read")
            #expect(result.status == Exit.ok, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(result.errors.isEmpty)
        }
    }

    @Test func invalidReadArgumentsExit64() throws {
        try withSampleStore { fx in
            let cases: [([String], String)] = [
                (["--from", "0"], "--from"),
                (["--from", "5", "--to", "4"], "--to"),
                (["--limit", "-1"], "limit"),
                (["--since", "yesterday"], "since"),
                (["--until", "2026-13-45"], "until"),
                (["--format", "xml"], "format"),
                (["--from", "abc"], "from"),
                (["--colour"], "colour"),
                (["--type", "item created"], "--type 'item created'"),
                (["--type", ""], "--type ''"),
            ]
            for (arguments, mention) in cases {
                let result = try fx.run(["read", "--store", fx.store] + arguments)
                #expect(result.status == Exit.invalidArguments, "\(result)")
                #expect(result.errors.contains(mention), "\(result)")
                #expect(result.stdout.isEmpty, "\(result)")
            }
        }
    }

    @Test(arguments: ["read", "get 1", "head", "verify", "stats", "dict train", "backup"])
    func commandsOnAMissingStoreExitNotFound(command: String) throws {
        try withCLIFixture { fx in
            var arguments = command.split(separator: " ").map(String.init)
            if command == "backup" { arguments.append(fx.path("backup")) }
            let result = try fx.run(arguments + ["--store", fx.store])
            #expect(result.status == Exit.notFound, "\(result)")
            #expect(result.errors.contains("no store at \(fx.store)"), "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
            #expect(!FileManager.default.fileExists(atPath: fx.store + "/data.mdb"), "nothing was created")
        }
    }

    @Test func getByOffsetPrintsTheSameLineAsRead() throws {
        try withSampleStore { fx in
            let lines = try fx.annals("read").lines
            for offset in [1, 8, 12, 33, 60] {
                let result = try fx.annals("get", String(offset))
                #expect(result.status == Exit.ok, "\(result)")
                #expect(result.lines == [lines[offset - 1]])
            }
        }
    }

    @Test func getByIdFindsClientAndAssignedIds() throws {
        try withSampleStore { fx in
            let client = UUID()
            let receipt = try fx.append([eventLine(type: "with.id", target: "t", id: client)])[0]
            let byClientId = try fx.annals("get", "--id", client.uuidString.lowercased())
            #expect(byClientId.status == Exit.ok, "\(byClientId)")
            #expect(try byClientId.object().int("offset") == 61)
            #expect(try byClientId.object().string("type") == "with.id")
            #expect(receipt.int("offset") == 61)

            let assigned = try #require(try fx.annals("get", "17").object().string("id"))
            let byAssignedId = try fx.annals("get", "--id", assigned.uppercased())
            #expect(byAssignedId.status == Exit.ok, "\(byAssignedId)")
            #expect(try byAssignedId.object().int("offset") == 17)
        }
    }

    @Test func getOfAnAbsentEventExitsNotFound() throws {
        try withSampleStore { fx in
            let byOffset = try fx.annals("get", "61")
            #expect(byOffset.status == Exit.notFound, "\(byOffset)")
            #expect(byOffset.errors.contains("no event at offset 61"), "\(byOffset)")
            #expect(byOffset.stdout.isEmpty)

            let id = UUID().uuidString.lowercased()
            let byId = try fx.annals("get", "--id", id)
            #expect(byId.status == Exit.notFound, "\(byId)")
            #expect(byId.errors.contains("no event with id \(id)"), "\(byId)")
            #expect(byId.stdout.isEmpty)
        }
    }

    @Test func invalidGetArgumentsExit64() throws {
        try withSampleStore { fx in
            let cases: [([String], String)] = [
                ([], "OFFSET or --id"),
                (["0"], "offsets start at 1"),
                (["1", "--id", UUID().uuidString], "not both"),
                (["--id", "not-a-uuid"], "--id must be a UUID"),
                (["abc"], "abc"),
                (["-5"], "OFFSET must be a whole number from 1, got '-5'"),
                (["--store", fx.store, "-1"], "got '-1'"),
                (["--id", "-1"], "--id must be a UUID, got '-1'"),
            ]
            for (arguments, mention) in cases {
                let result = try fx.run(["get", "--store", fx.store] + arguments)
                #expect(result.status == Exit.invalidArguments, "\(result)")
                #expect(result.errors.contains(mention), "\(result)")
                #expect(result.stdout.isEmpty)
            }
        }
    }
}
