import Foundation
import Testing

/// A small ontology, appended through `annals append`: five things in two groups, four connections and four
/// knowledge items, then one update.
///
/// ```
/// t-alice --owns--> t-lamp --paired_with--> t-hub --replaces--> t-old
///                  t-sensor --paired_with--^
/// ```
enum OntologySample {
    static let things: [String] = [
        thing("t-hub", type: "plugin", name: "Hue Bridge", group: "org-a"),
        thing("t-lamp", type: "device", name: "Kitchen Lamp", group: "org-a"),
        thing("t-sensor", type: "device", name: "Motion Sensor", group: "org-a", status: "inactive"),
        thing("t-alice", type: "person", name: "Alice", group: "org-b"),
        thing("t-old", type: "device", name: "Old Lamp", group: "org-b", status: "archived"),
    ]

    static let connections: [String] = [
        connection("c-1", from: "t-lamp", to: "t-hub", type: "paired_with", group: "org-a"),
        connection("c-2", from: "t-sensor", to: "t-hub", type: "paired_with", group: "org-a"),
        connection("c-3", from: "t-alice", to: "t-lamp", type: "owns", group: "org-b"),
        connection("c-4", from: "t-hub", to: "t-old", type: "replaces", group: "org-a"),
    ]

    static let knowledge: [String] = [
        knowledge(
            "k-1", thing: "t-hub", group: "org-a", labels: ["manual", "setup"],
            text: "To pair the bridge, press the round link button on top of the hub, then start discovery."),
        knowledge(
            "k-2", thing: "t-lamp", group: "org-a", labels: ["manual"],
            text: "The kitchen lamp supports dimming and warm white colour temperatures."),
        knowledge(
            "k-3", thing: "t-sensor", group: "org-a", labels: ["maintenance"],
            text: "Replace the sensor battery (CR2032) every twelve months."),
        knowledge(
            "k-4", thing: "t-alice", group: "org-b", labels: ["preference"],
            text: "Alice prefers the lights off after midnight."),
    ]

    /// Renames the sensor: offset 14.
    static let update = eventLine(
        type: "thing.updated", actor: "user-1", target: "t-sensor", metadata: "{\"name\":\"Motion Sensor v2\"}")

    /// Every line, in order (13 creations and the update: offsets 1…14).
    static var all: [String] { things + connections + knowledge + [update] }

    static func thing(_ id: String, type: String, name: String, group: String, status: String? = nil) -> String {
        let status = status.map { ",\"status\":\(jsonString($0))" } ?? ""
        return eventLine(
            type: "thing.created", actor: "user-1", target: id, group: group,
            metadata: "{\"thingType\":\(jsonString(type)),\"name\":\(jsonString(name))\(status)}")
    }

    static func connection(_ id: String, from: String, to: String, type: String, group: String) -> String {
        eventLine(
            type: "connection.created", actor: "user-1", target: id, group: group,
            metadata: "{\"fromId\":\(jsonString(from)),\"toId\":\(jsonString(to)),"
                + "\"connectionType\":\(jsonString(type))}")
    }

    static func knowledge(_ id: String, thing: String, group: String, labels: [String], text: String) -> String {
        eventLine(
            type: "knowledge.added", actor: "user-1", target: id, group: group,
            metadata: "{\"thingId\":\(jsonString(thing)),\"text\":\(jsonString(text)),"
                + "\"labels\":[\(labels.map(jsonString).joined(separator: ","))]}")
    }
}

/// Runs `body` with a store holding ``OntologySample``.
private func withOntology<R>(_ body: (CLIFixture) throws -> R) throws -> R {
    try withCLIFixture { fx in
        try fx.initStore()
        try fx.append(OntologySample.all)
        return try body(fx)
    }
}

extension CLIResult {
    /// The `id` of every JSON line printed, in order.
    var ids: [String] { objects().compactMap { $0.string("id") } }
}

/// A query command's arguments and the ids it must print, in order.
struct OntologyQueryCase: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var ids: [String]

    var testDescription: String { arguments.joined(separator: " ") }

    static let things: [OntologyQueryCase] = [
        .init(arguments: ["things"], ids: ["t-alice", "t-hub", "t-lamp", "t-old", "t-sensor"]),
        .init(arguments: ["things", "--type", "device"], ids: ["t-lamp", "t-old", "t-sensor"]),
        // The group index lists things by type, then id.
        .init(arguments: ["things", "--group", "org-a"], ids: ["t-lamp", "t-sensor", "t-hub"]),
        .init(arguments: ["things", "--group", "org-a", "--type", "device"], ids: ["t-lamp", "t-sensor"]),
        .init(arguments: ["things", "--status", "active"], ids: ["t-alice", "t-hub", "t-lamp"]),
        .init(arguments: ["things", "--type", "device", "--status", "archived"], ids: ["t-old"]),
        .init(arguments: ["things", "--type", "robot"], ids: []),
        .init(arguments: ["things", "--limit", "2"], ids: ["t-alice", "t-hub"]),
        .init(arguments: ["things", "--id", "t-lamp"], ids: ["t-lamp"]),
    ]

    static let connections: [OntologyQueryCase] = [
        .init(arguments: ["connections"], ids: ["c-1", "c-2", "c-3", "c-4"]),
        .init(arguments: ["connections", "--from", "t-hub"], ids: ["c-4"]),
        .init(arguments: ["connections", "--to", "t-hub"], ids: ["c-1", "c-2"]),
        .init(arguments: ["connections", "--type", "paired_with"], ids: ["c-1", "c-2"]),
        .init(arguments: ["connections", "--to", "t-hub", "--type", "owns"], ids: []),
        .init(arguments: ["connections", "--from", "t-alice", "--to", "t-lamp"], ids: ["c-3"]),
        .init(arguments: ["connections", "--group", "org-b"], ids: ["c-3"]),
        .init(arguments: ["connections", "--limit", "3"], ids: ["c-1", "c-2", "c-3"]),
        .init(arguments: ["connections", "--id", "c-2"], ids: ["c-2"]),
    ]

    static let knowledge: [OntologyQueryCase] = [
        .init(arguments: ["knowledge"], ids: ["k-1", "k-2", "k-3", "k-4"]),
        .init(arguments: ["knowledge", "--thing", "t-hub"], ids: ["k-1"]),
        .init(arguments: ["knowledge", "--label", "manual"], ids: ["k-1", "k-2"]),
        .init(arguments: ["knowledge", "--label", "manual", "--label", "setup"], ids: ["k-1"]),
        .init(arguments: ["knowledge", "--label", "manual", "--thing", "t-lamp"], ids: ["k-2"]),
        .init(arguments: ["knowledge", "--group", "org-b"], ids: ["k-4"]),
        .init(arguments: ["knowledge", "--label", "nothing"], ids: []),
        .init(arguments: ["knowledge", "--limit", "1"], ids: ["k-1"]),
        .init(arguments: ["knowledge", "--id", "k-3"], ids: ["k-3"]),
    ]
}

@Suite("annals things, connections, graph, knowledge and search")
struct CLIOntologyQueryTests {
    @Test("every filter of things, connections and knowledge prints the matching ids in order")
    func filters() throws {
        try withOntology { fx in
            for query in OntologyQueryCase.things + OntologyQueryCase.connections + OntologyQueryCase.knowledge {
                let result = try fx.run(query.arguments + ["--store", fx.store])
                #expect(result.status == Exit.ok, "\(result)")
                #expect(result.ids == query.ids, "annals \(query.testDescription)")
            }
        }
    }

    @Test("things print the canonical Thing JSON, with updates applied")
    func thingJSON() throws {
        try withOntology { fx in
            let sensor = try fx.annals("things", "--id", "t-sensor").object()
            #expect(sensor.string("thingType") == "device")
            #expect(sensor.string("groupId") == "org-a")
            #expect(sensor.string("name") == "Motion Sensor v2")
            #expect(sensor.string("status") == "inactive")
            #expect(sensor.int("createdOffset") == 3)
            #expect(sensor.int("updatedOffset") == 14)
            #expect(sensor.object("properties")?.keys == [])
            let hub = try fx.annals("things", "--id", "t-hub").object()
            #expect(hub.string("status") == "active")
            // Canonical: keys sorted, no spaces.
            let keys = hub.text.dropFirst().split(separator: ",").compactMap { $0.split(separator: ":").first }
            #expect(keys.map(String.init) == keys.map(String.init).sorted())
            #expect(!hub.text.contains("\": ") && !hub.text.contains(", \""))

            let connection = try fx.annals("connections", "--id", "c-3").object()
            #expect(connection.string("fromId") == "t-alice")
            #expect(connection.string("toId") == "t-lamp")
            #expect(connection.string("connectionType") == "owns")

            let item = try fx.annals("knowledge", "--id", "k-1").object()
            #expect(item.string("thingId") == "t-hub")
            #expect(item.array("labels") as? [String] == ["manual", "setup"])
            #expect(item.string("text")?.hasPrefix("To pair the bridge") == true)
        }
    }

    @Test("graph walks depth and direction and follows only the given types")
    func graph() throws {
        try withOntology { fx in
            func walk(_ arguments: String...) throws -> (things: [String: Int], connections: [String]) {
                let result = try fx.run(["graph"] + arguments + ["--store", fx.store])
                try #require(result.status == Exit.ok, "\(result)")
                let object = try result.object()
                let things = (object.array("things") as? [[String: Any]]) ?? []
                var depths: [String: Int] = [:]
                for thing in things { depths[thing["id"] as? String ?? "?"] = thing["depth"] as? Int }
                let connections = ((object.array("connections") as? [[String: Any]]) ?? []).map { $0["id"] as? String }
                return (depths, connections.compactMap { $0 })
            }
            var graph = try walk("t-alice")
            #expect(graph.things == ["t-alice": 0, "t-lamp": 1])
            #expect(graph.connections == ["c-3"])
            graph = try walk("t-alice", "--depth", "2")
            #expect(graph.things == ["t-alice": 0, "t-lamp": 1, "t-hub": 2])
            #expect(graph.connections == ["c-1", "c-3"])
            graph = try walk("t-alice", "--depth", "3", "--direction", "outgoing")
            #expect(graph.things == ["t-alice": 0, "t-lamp": 1, "t-hub": 2, "t-old": 3])
            #expect(graph.connections == ["c-1", "c-3", "c-4"])
            graph = try walk("t-hub", "--direction", "incoming")
            #expect(graph.things == ["t-hub": 0, "t-lamp": 1, "t-sensor": 1])
            #expect(graph.connections == ["c-1", "c-2"])
            graph = try walk("t-hub", "--direction", "outgoing")
            #expect(graph.things == ["t-hub": 0, "t-old": 1])
            graph = try walk("t-hub")
            #expect(graph.things == ["t-hub": 0, "t-lamp": 1, "t-old": 1, "t-sensor": 1])
            graph = try walk("t-hub", "--depth", "2", "--type", "paired_with")
            #expect(graph.things == ["t-hub": 0, "t-lamp": 1, "t-sensor": 1])
            #expect(graph.connections == ["c-1", "c-2"])
            graph = try walk("t-hub", "--type", "paired_with", "--type", "replaces")
            #expect(graph.things.count == 4)
            graph = try walk("t-hub", "--depth", "0")
            #expect(graph.things == ["t-hub": 0])
            #expect(graph.connections.isEmpty)

            // Ordered by depth, then id.
            let ordered = try fx.annals("graph", "t-alice", "--depth", "16").object()
            let ids = (ordered.array("things") as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids == ["t-alice", "t-lamp", "t-hub", "t-old", "t-sensor"])
        }
    }

    @Test("search ranks the item that matches a distinctive query first and reports the matched terms")
    func search() throws {
        try withOntology { fx in
            for mode in ["hybrid", "lexical", "vector"] {
                let result = try fx.annals("search", "sensor battery CR2032", "--mode", mode)
                #expect(result.status == Exit.ok, "\(result)")
                let hits = result.objects()
                try #require(!hits.isEmpty, "\(result)")
                #expect(hits[0].object("item")?.string("id") == "k-3", "--mode \(mode): \(result)")
                #expect(hits[0].double("score") != nil)
                if mode != "vector" {
                    let terms = hits[0].array("matchedTerms") as? [String] ?? []
                    #expect(terms.contains("cr2032"), "\(terms)")
                    #expect(hits[0].double("lexicalScore") != nil)
                }
            }
            let paired = try fx.annals("search", "press the link button to pair", "--limit", "2")
            #expect(paired.objects().first?.object("item")?.string("id") == "k-1", "\(paired)")
            #expect(paired.lines.count <= 2)
            let manual = try fx.annals("search", "battery", "--label", "manual", "--mode", "lexical")
            #expect(manual.status == Exit.ok)
            #expect(!manual.objects().contains { $0.object("item")?.string("id") == "k-3" }, "\(manual)")
            let otherGroup = try fx.annals("search", "midnight lights", "--group", "org-a", "--mode", "lexical")
            #expect(otherGroup.status == Exit.ok)
            #expect(otherGroup.lines.isEmpty, "\(otherGroup)")
            let alice = try fx.annals("search", "midnight lights", "--group", "org-b")
            #expect(alice.objects().first?.object("item")?.string("id") == "k-4", "\(alice)")
        }
    }

    @Test("--format table prints aligned columns")
    func tables() throws {
        try withOntology { fx in
            let things = try fx.annals("things", "--format", "table")
            #expect(things.status == Exit.ok)
            try #require(things.lines.count == 6, "\(things)")
            try expectAligned(things.lines, columns: ["ID", "TYPE", "GROUP", "NAME", "STATUS", "UPDATED"])
            #expect(things.lines[5].hasPrefix("t-sensor"))
            #expect(things.lines[5].contains("Motion Sensor v2"))
            #expect(things.lines[5].hasSuffix("14"))

            let connections = try fx.annals("connections", "--to", "t-hub", "--format", "table")
            try #require(connections.lines.count == 3, "\(connections)")
            try expectAligned(connections.lines, columns: ["ID", "FROM", "TO", "TYPE", "GROUP", "UPDATED"])

            let graph = try fx.annals("graph", "t-alice", "--depth", "2", "--format", "table")
            #expect(graph.status == Exit.ok)
            let sections = graph.output.components(separatedBy: "\n\n")
            try #require(sections.count == 2, "\(graph)")
            let thingLines = sections[0].split(separator: "\n").map(String.init)
            try expectAligned(thingLines, columns: ["DEPTH", "ID", "TYPE", "GROUP", "NAME", "STATUS"])
            #expect(thingLines.dropFirst().map { $0.split(separator: " ").first.map(String.init) } == ["0", "1", "2"])
            #expect(sections[1].hasPrefix("ID"))
            #expect(sections[1].split(separator: "\n").count == 3)

            let knowledge = try fx.annals("knowledge", "--label", "manual", "--format", "table")
            try #require(knowledge.lines.count == 3, "\(knowledge)")
            try expectAligned(knowledge.lines, columns: ["ID", "THING", "GROUP", "LABELS", "UPDATED", "TEXT"])
            #expect(knowledge.lines[1].contains("manual,setup"))

            let search = try fx.annals("search", "sensor battery CR2032", "--format", "table")
            try #require(search.lines.count >= 2, "\(search)")
            try expectAligned(search.lines, columns: ["RANK", "SCORE", "ITEM", "THING", "TERMS", "TEXT"])
            let first = search.lines[1].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            #expect(Array(first.prefix(1)) == ["1"])
            #expect(first.dropFirst(2).first == "k-3")
            #expect(first.dropFirst(3).first == "t-sensor")
            #expect(first.dropFirst(4).first?.contains("cr2032") == true)
        }
    }

    @Test("a table prints terminal escapes, bells, line breaks and bidi overrides in event text as spaces")
    func tablesAreInert() throws {
        try withOntology { fx in
            try fx.append([
                eventLine(
                    type: "thing.created", actor: "user-1", target: "t-esc",
                    metadata: #"{"thingType":"note","name":"a\u001b[31mred\u0007\u202eevil\u2028x"}"#),
                eventLine(
                    type: "job_failed", actor: "u\u{202e}live",
                    metadata: #"{"error":"boom\u001b[2J\nFAKE LINE\u2029"}"#),
            ])
            func inert(_ output: String) -> Bool {
                !output.unicodeScalars.contains { [0x1B, 0x07, 0x202E, 0x2028, 0x2029].contains($0.value) }
            }
            let table = try fx.annals("things", "--id", "t-esc", "--format", "table")
            #expect(table.status == Exit.ok, "\(table)")
            #expect(table.output.contains("a [31mred  evil x"), "\(table)")
            #expect(inert(table.output))
            // The event tables too: `read` (ids may hold bidi overrides) and `audit` (failure messages).
            let read = try fx.annals("read", "--type", "job_failed", "--format", "table")
            #expect(read.status == Exit.ok && read.lines.count == 2 && inert(read.output), "\(read)")
            let pretty = try fx.annals("tail", "--format", "pretty")
            #expect(
                pretty.status == Exit.ok && pretty.output.contains(#"by "u live""#) && inert(pretty.output),
                "an id with a bidi override is quoted: \(pretty)")
            let audit = try fx.annals("audit", "--format", "table")
            #expect(audit.status == Exit.ok, "\(audit)")
            #expect(audit.output.contains("boom [2J FAKE LINE"), "\(audit)")
            #expect(inert(audit.output) && !audit.output.contains("\nFAKE LINE"), "\(audit)")
            // JSON lines keep the text as it was appended, escaped.
            #expect(try fx.annals("things", "--id", "t-esc").output.contains(#"a\u001b[31mred\u0007"#))
        }
    }

    /// Checks that `lines` start with a header of `columns` and that every row's cells start under their titles.
    private func expectAligned(
        _ lines: [String], columns: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let header = try #require(lines.first, sourceLocation: sourceLocation)
        let words = header.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(words == columns, sourceLocation: sourceLocation)
        let starts = columns.compactMap { header.range(of: $0)?.lowerBound.utf16Offset(in: header) }
        for row in lines.dropFirst() {
            let characters = Array(row)
            for start in starts.dropFirst() {
                let aligned = start < characters.count && characters[start] != " " && characters[start - 1] == " "
                #expect(aligned, "column at \(start) misaligned in:\n\(header)\n\(row)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a missing thing, connection or knowledge item exits 4")
    func notFound() throws {
        try withOntology { fx in
            for arguments in [
                ["things", "--id", "ghost"], ["connections", "--id", "ghost"], ["knowledge", "--id", "ghost"],
                ["graph", "ghost"],
            ] {
                let result = try fx.run(arguments + ["--store", fx.store])
                #expect(result.status == Exit.notFound, "\(result)")
                #expect(result.errors.contains("'ghost'"), "\(result)")
                #expect(result.output.isEmpty)
            }
            // A thing that was deleted is gone too.
            try fx.append([eventLine(type: "thing.deleted", actor: "user-1", target: "t-old")])
            #expect(try fx.annals("graph", "t-old").status == Exit.notFound)
            #expect(try fx.annals("connections", "--id", "c-4").status == Exit.notFound)
        }
    }

    @Test(
        "bad flag values exit 64 with a message naming the flag",
        arguments: [
            (["search", "x", "--mode", "bogus"], "--mode"), (["search", "x", "--limit", "0"], "--limit"),
            (["search", "x", "--limit", "1001"], "--limit"), (["search", "   "], "TEXT"),
            (["graph", "t-hub", "--depth", "99"], "--depth"), (["graph", "t-hub", "--depth", "-1"], "--depth"),
            (["graph", "t-hub", "--direction", "sideways"], "--direction"), (["things", "--limit", "0"], "--limit"),
            (["connections", "--limit", "0"], "--limit"), (["knowledge", "--limit", "-3"], "--limit"),
            (["things", "--format", "xml"], "--format"), (["things", "--id", "t-hub", "--type", "device"], "--id"),
            (["connections", "--id", "c-1", "--from", "t-hub"], "--id"),
            (["knowledge", "--id", "k-1", "--label", "manual"], "--id"),
            (["things", "--id", ""], "--id cannot be empty"),
            (["connections", "--to", ""], "--to cannot be empty"), (["graph", ""], "ID cannot be empty"),
            (["knowledge", "--label", "manual", "--label", ""], "--label cannot be empty"),
            (["state", "--at", "0", "--thing", ""], "--thing cannot be empty"),
            (["rollback", "--to", "0", "--group", ""], "--group cannot be empty"),
            (["search", "x", "--group", ""], "--group cannot be empty"),
            // Types, statuses and labels follow the ontology's rule for names: 1–64 bytes, no control character.
            (["things", "--type", String(repeating: "t", count: 65)], "--type must be 1–64 bytes, not 65"),
            (["things", "--status", "on\tline"], "--status contains a control character"),
            (["connections", "--type", String(repeating: "t", count: 64) + "é"], "--type must be 1–64 bytes, not 66"),
            (["graph", "t-hub", "--type", "a\u{7F}"], "--type contains a control character"),
            (["knowledge", "--label", String(repeating: "l", count: 65)], "--label must be 1–64 bytes, not 65"),
            (["search", "x", "--label", "\u{1B}[31m"], "--label contains a control character"),
            // A negative value reaches its option (it read as a missing value) and is refused: integers are digits.
            (["things", "--limit", "-3"], "The value '-3' is invalid for '--limit <limit>'"),
            (["snapshot", "prune", "--keep", "-1"], "The value '-1' is invalid for '--keep <keep>'"),
            (["state", "--at", "-1"], "'-1' is invalid for '--at"), (["read", "--reverse", "-5"], "'--reverse'"),
        ])
    func badArguments(arguments: [String], flag: String) throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let result = try fx.run(arguments + ["--store", fx.store])
            #expect(result.status == Exit.invalidArguments, "\(result)")
            #expect(result.errors.contains(flag), "\(result)")
            #expect(result.output.isEmpty)
        }
    }

    /// A name is judged in the spelling queries look it up by (NFC): 22 decomposed `é` are 66 bytes as given but 44
    /// once composed, a type an entity can have.
    @Test func aNameIsJudgedInItsComposedSpelling() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let decomposed = String(repeating: "e\u{301}", count: 22)
            #expect(decomposed.utf8.count == 66)
            let result = try fx.annals("things", "--type", decomposed)
            #expect(result.status == Exit.ok, "\(result)")
        }
    }

    /// The ontology stores a name in NFC, which can be longer than the spelling an event used: a composition
    /// exclusion decomposes (U+1D160, 4 bytes, is three scalars of 4 bytes in NFC; U+FB2C, 3 bytes, is three of 2).
    /// A name must fit 64 bytes in NFC too: one that does not is refused at append (exit 8) and as a query's filter
    /// (exit 64, in either spelling); one that does is found in either spelling.
    @Test func aNameIsJudgedInNFCAtAppendAndInQueries() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            let type = String(repeating: "\u{1D160}", count: 16)
            let status = String(repeating: "\u{FB2C}", count: 10)
            #expect(type.utf8.count == 64 && type.precomposedStringWithCanonicalMapping.utf8.count == 192)
            #expect(status.utf8.count == 30 && status.precomposedStringWithCanonicalMapping.utf8.count == 60)
            let refused = try fx.run(
                ["append", "--store", fx.store],
                stdin: Array((OntologySample.thing("t-long", type: type, name: "Long", group: "org-a") + "\n").utf8))
            #expect(refused.status == Exit.rejected, "\(refused)")
            #expect(
                refused.errors.contains("field 'metadata.thingType': is 192 bytes in NFC, the most is 64"), "\(refused)"
            )
            for spelling in [type, type.precomposedStringWithCanonicalMapping] {
                let result = try fx.annals("things", "--type", spelling)
                #expect(result.status == Exit.invalidArguments, "\(result)")
                #expect(result.errors.contains("--type must be 1–64 bytes, not 192"), "\(result)")
            }
            let lines = [
                OntologySample.thing("t-fits", type: "doc", name: "Fits", group: "org-a", status: status),
                OntologySample.knowledge("k-fits", thing: "t-fits", group: "org-a", labels: [status], text: "fits"),
            ]
            try fx.append(lines)
            for spelling in [status, status.precomposedStringWithCanonicalMapping] {
                let things = try fx.annals("things", "--status", spelling)
                #expect(things.status == Exit.ok && things.output.contains("t-fits"), "\(things)")
                let knowledge = try fx.annals("knowledge", "--label", spelling)
                #expect(knowledge.status == Exit.ok && knowledge.output.contains("k-fits"), "\(knowledge)")
            }
        }
    }

    @Test(
        "an event the ontology rejects exits 8, names the field or thing, and writes nothing of its batch",
        arguments: [
            (
                eventLine(
                    type: "connection.created", target: "c-9",
                    metadata: "{\"fromId\":\"t-hub\",\"toId\":\"t-missing\",\"connectionType\":\"x\"}"),
                ["metadata.toId", "t-missing"]
            ),
            (
                eventLine(type: "thing.updated", target: "t-ghost", metadata: "{\"name\":\"Ghost\"}"),
                ["targetId", "t-ghost"]
            ),
            (
                eventLine(type: "thing.created", target: "t-new", metadata: "{\"name\":\"No type\"}"),
                ["metadata.thingType"]
            ),
            (OntologySample.thing("t-hub", type: "plugin", name: "Again", group: "org-a"), ["t-hub"]),
            (
                eventLine(type: "knowledge.added", target: "k-9", metadata: "{\"thingId\":\"t-hub\"}"),
                ["metadata.text"]
            ),
        ])
    func rejected(line: String, mentions: [String]) throws {
        try withOntology { fx in
            let before = try fx.head()
            let thingsBefore = try fx.annals("things").lines
            let fresh = OntologySample.thing("t-fresh", type: "device", name: "Fresh", group: "org-a")
            // The bad event alone, then after a valid one in an --atomic batch: all of it must be refused.
            for (input, extra) in [([line], []), ([fresh, line], ["--atomic"])] {
                let result = try fx.run(
                    ["append", "--store", fx.store] + extra, stdin: Array((input.joined(separator: "\n") + "\n").utf8))
                #expect(result.status == Exit.rejected, "\(result)")
                for mention in mentions { #expect(result.errors.contains(mention), "\(result)") }
                #expect(result.output.isEmpty, "\(result)")
                let after = try fx.head()
                #expect(after.int("offset") == before.int("offset"))
                #expect(after.string("hash") == before.string("hash"))
                #expect(try fx.annals("things").lines == thingsBefore)
                #expect(try fx.annals("things", "--id", "t-fresh").status == Exit.notFound)
            }
        }
    }

    @Test func aRejectedLineStopsTheAppendAfterTheLinesBeforeIt() throws {
        try withOntology { fx in
            let before = try #require(try fx.head().int("offset"))
            let lines = [
                OntologySample.thing("t-one", type: "device", name: "One", group: "org-a"),
                eventLine(type: "thing.updated", target: "t-ghost", metadata: "{\"name\":\"Ghost\"}"),
                OntologySample.thing("t-two", type: "device", name: "Two", group: "org-a"),
            ]
            let result = try fx.run(
                ["append", "--store", fx.store], stdin: Array((lines.joined(separator: "\n") + "\n").utf8))
            #expect(result.status == Exit.rejected, "\(result)")
            #expect(result.errors.contains("line 2: thing.updated rejected by projection 'things'"), "\(result)")
            #expect(result.lines.count == 1, "one receipt, for line 1: \(result)")
            #expect(try fx.head().int("offset") == before + 1)
            #expect(try fx.annals("things", "--id", "t-one").status == Exit.ok)
            #expect(try fx.annals("things", "--id", "t-two").status == Exit.notFound)
        }
    }
}
