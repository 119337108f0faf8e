import Foundation
import Testing

/// What the ontology holds after some events, as the tests expect it.
private struct ExpectedOntology {
    /// Thing id → name, status and properties.
    var things: [String: (name: String, status: String, properties: [String: Int])] = [:]
    /// Connection id → from and to.
    var connections: [String: (from: String, to: String)] = [:]
    /// Knowledge id → thing id.
    var knowledge: [String: String] = [:]

    mutating func deleteThing(_ id: String) {
        things[id] = nil
        connections = connections.filter { $0.value.from != id && $0.value.to != id }
        knowledge = knowledge.filter { $0.value != id }
    }
}

/// Ten events, one an hour from 2026-01-01T00:00:00Z (offset n at hour n − 1), each with its effect.
private enum Timeline {
    static let start: Int64 = 1_767_225_600_000
    static let hour: Int64 = 3_600_000

    static let steps: [(line: String, effect: @Sendable (inout ExpectedOntology) -> Void)] = [
        (
            event(1, "thing.created", "t-hub", "org-a", #"{"thingType":"plugin","name":"Hub","properties":{"fw":1}}"#),
            { $0.things["t-hub"] = ("Hub", "active", ["fw": 1]) }
        ),
        (
            event(2, "thing.created", "t-lamp", "org-a", #"{"thingType":"device","name":"Lamp"}"#),
            { $0.things["t-lamp"] = ("Lamp", "active", [:]) }
        ),
        (
            event(3, "thing.created", "t-bob", "org-b", #"{"thingType":"person","name":"Bob"}"#),
            { $0.things["t-bob"] = ("Bob", "active", [:]) }
        ),
        (
            event(
                4, "connection.created", "c-1", "org-a", #"{"fromId":"t-lamp","toId":"t-hub","connectionType":"pair"}"#),
            { $0.connections["c-1"] = ("t-lamp", "t-hub") }
        ),
        (
            event(5, "knowledge.added", "k-1", "org-a", #"{"thingId":"t-hub","text":"Press the link button."}"#),
            { $0.knowledge["k-1"] = "t-hub" }
        ),
        (
            event(6, "thing.updated", "t-hub", nil, #"{"name":"Hub v2","properties":{"fw":2,"beta":1}}"#),
            { $0.things["t-hub"] = ("Hub v2", "active", ["fw": 2, "beta": 1]) }
        ),
        (
            event(
                7, "connection.created", "c-2", "org-b", #"{"fromId":"t-bob","toId":"t-lamp","connectionType":"owns"}"#),
            { $0.connections["c-2"] = ("t-bob", "t-lamp") }
        ),
        (
            event(8, "knowledge.added", "k-2", "org-b", #"{"thingId":"t-bob","text":"Bob likes dim light."}"#),
            { $0.knowledge["k-2"] = "t-bob" }
        ),
        (event(9, "thing.deleted", "t-lamp", nil, "{}"), { $0.deleteThing("t-lamp") }),
        (
            event(10, "thing.updated", "t-bob", nil, #"{"status":"away","properties":{"age":40}}"#),
            { $0.things["t-bob"] = ("Bob", "away", ["age": 40]) }
        ),
    ]

    static func event(_ offset: Int, _ type: String, _ target: String, _ group: String?, _ metadata: String) -> String {
        eventLine(
            type: type, actor: "user-1", target: target, group: group,
            timestamp: start + Int64(offset - 1) * hour, metadata: metadata)
    }

    /// The expected ontology after `offset` events.
    static func expected(at offset: Int) -> ExpectedOntology {
        var model = ExpectedOntology()
        for step in steps.prefix(offset) { step.effect(&model) }
        return model
    }

    static var lines: [String] { steps.map(\.line) }
}

/// Runs `body` with a store holding the timeline's first `count` events.
private func withTimeline<R>(_ count: Int = Timeline.steps.count, _ body: (CLIFixture) throws -> R) throws -> R {
    try withCLIFixture { fx in
        try fx.initStore()
        if count > 0 { try fx.append(Array(Timeline.lines.prefix(count))) }
        return try body(fx)
    }
}

/// The ids of the entities in one of the state's arrays.
private func ids(_ state: JSONObject, _ key: String) -> [String] {
    (state.array(key) ?? []).compactMap { ($0 as? [String: Any])?["id"] as? String }
}

/// Checks a state printed by `annals state` against the model.
private func check(
    _ state: JSONObject, equals model: ExpectedOntology, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(ids(state, "things") == model.things.keys.sorted(), "\(state)", sourceLocation: sourceLocation)
    #expect(ids(state, "connections") == model.connections.keys.sorted(), "\(state)", sourceLocation: sourceLocation)
    #expect(ids(state, "knowledge") == model.knowledge.keys.sorted(), "\(state)", sourceLocation: sourceLocation)
    for case let thing as [String: Any] in state.array("things") ?? [] {
        guard let id = thing["id"] as? String, let expected = model.things[id] else { continue }
        #expect(thing["name"] as? String == expected.name, "\(thing)", sourceLocation: sourceLocation)
        #expect(thing["status"] as? String == expected.status, "\(thing)", sourceLocation: sourceLocation)
        #expect(
            thing["properties"] as? [String: Int] == expected.properties, "\(thing)", sourceLocation: sourceLocation)
    }
    for case let connection as [String: Any] in state.array("connections") ?? [] {
        guard let id = connection["id"] as? String, let expected = model.connections[id] else { continue }
        #expect(connection["fromId"] as? String == expected.from, sourceLocation: sourceLocation)
        #expect(connection["toId"] as? String == expected.to, sourceLocation: sourceLocation)
    }
}

/// `annals snapshot create|list|prune` and `annals state --at`.
@Suite("annals snapshot and state")
struct CLISnapshotStateTests {
    @Test func createListAndPrune() throws {
        try withTimeline(0) { fx in
            let empty = try fx.annals("snapshot", "create")
            #expect(empty.status == Exit.invalidInput, "an empty log has nothing to snapshot: \(empty)")
            try fx.append(Array(Timeline.lines.prefix(5)))
            let first = try fx.annals("snapshot", "create")
            #expect(first.status == Exit.ok, "\(first)")
            let info = try first.object()
            #expect(info.keys == ["offset", "createdAt", "storedBytes", "bodyBytes", "damage"], "\(info)")
            #expect(info.raw["damage"] is NSNull, "\(info)")
            #expect(info.int("offset") == 5)
            #expect((info.int("storedBytes") ?? 0) > 0 && (info.int("bodyBytes") ?? 0) > 0, "\(info)")
            #expect(info.string("createdAt").flatMap { ISO8601DateFormatter.withFraction.date(from: $0) } != nil)
            #expect(try fx.annals("snapshot", "create").object().int("offset") == 5, "one snapshot per offset")

            try fx.append(Array(Timeline.lines.dropFirst(5)))
            #expect(try fx.annals("snapshot", "create").object().int("offset") == 10)
            #expect(try fx.annals("snapshot", "list").objects().map { $0.int("offset") } == [5, 10])
            let table = try fx.annals("snapshot", "list", "--format", "table")
            #expect(table.lines.count == 3 && table.lines[0].hasPrefix("OFFSET"), "\(table)")
            #expect(table.lines.dropFirst().map { $0.split(separator: " ").first } == ["5", "10"], "\(table)")

            for bad in [["snapshot", "prune"], ["snapshot", "prune", "--keep", "-1"]] {
                let result = try fx.run(bad + ["--store", fx.store])
                #expect(result.status == Exit.invalidArguments, "\(result)")
            }
            let pruned = try fx.annals("snapshot", "prune", "--keep", "1")
            #expect(pruned.status == Exit.ok, "\(pruned)")
            #expect(pruned.objects().map { $0.int("offset") } == [5])
            #expect(try fx.annals("snapshot", "list").objects().map { $0.int("offset") } == [10])
            #expect(try fx.annals("snapshot", "prune", "--keep", "3").lines.isEmpty)
            #expect(try fx.annals("snapshot", "prune", "--before", "11").objects().map { $0.int("offset") } == [10])
            #expect(try fx.annals("snapshot", "list").lines.isEmpty)
        }
    }

    /// The help of `snapshot create` and `snapshot prune` says what they do to damaged snapshots: `create` replaces
    /// one at the head's offset (it said such a snapshot was kept as it is), and `prune --keep N` keeps the newest N
    /// intact ones and deletes damaged ones however new (it said it kept the newest N).
    @Test func snapshotHelpSaysWhatHappensToDamagedSnapshots() throws {
        try withCLIFixture { fx in
            let create = try fx.run(["snapshot", "create", "--help"], environment: ["COLUMNS": "200"])
            #expect(create.status == Exit.ok, "\(create)")
            let createHelp = Self.words(create.output)
            #expect(!createHelp.contains("offset is kept as it is. Exit"), "\(createHelp)")
            #expect(createHelp.contains("is damaged, or was taken by other versions"), "\(createHelp)")
            #expect(createHelp.contains("then it is replaced"), "\(createHelp)")
            let prune = try fx.run(["snapshot", "prune", "--help"], environment: ["COLUMNS": "200"])
            #expect(prune.status == Exit.ok, "\(prune)")
            let pruneHelp = Self.words(prune.output)
            #expect(pruneHelp.contains("newest --keep N intact snapshots"), "\(pruneHelp)")
            #expect(pruneHelp.contains("newest intact snapshots (damaged ones are deleted)"), "\(pruneHelp)")
        }
    }

    /// `text` with its line breaks and runs of spaces as single spaces, so a phrase the help wrapped still matches.
    private static func words(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
    }

    @Test func stateAtEveryOffsetMatchesTheEvents() throws {
        try withTimeline(5) { fx in
            #expect(try fx.annals("snapshot", "create").status == Exit.ok)
            try fx.append(Array(Timeline.lines.dropFirst(5)))
            for offset in 0...Timeline.steps.count {
                let result = try fx.annals("state", "--at", String(offset))
                #expect(result.status == Exit.ok, "\(result)")
                #expect(result.errors.isEmpty, "\(result)")
                let state = try result.object()
                #expect(
                    state.keys == ["offset", "snapshotOffset", "replayedEvents", "things", "connections", "knowledge"])
                #expect(state.int("offset") == offset)
                // Offsets from 5 on start from the snapshot taken at 5 and replay the rest.
                #expect(state.int("snapshotOffset") == (offset >= 5 ? 5 : nil), "\(state)")
                #expect(state.int("replayedEvents") == (offset >= 5 ? offset - 5 : offset), "\(state)")
                check(state, equals: Timeline.expected(at: offset))
            }
        }
    }

    @Test(arguments: [
        ("1969-12-31T23:59:59Z", 0),  // before any timestamp an event can have
        ("1900-01-01", 0),
        ("2025-12-31T23:59:59Z", 0),
        ("2026-01-01T05:00:00Z", 6),  // an event exactly at the time counts
        ("2026-01-01T04:59:59.9996Z", 5),  // finer than a millisecond: not rounded up to the event at 05:00
        ("2026-01-01T05:30:00Z", 6),
        ("2026-01-01T09:00:00.001Z", 10),
        ("2027-01-01T00:00:00Z", 10),
    ])
    func stateAtATime(time: String, offset: Int) throws {
        try withTimeline { fx in
            let state = try fx.annals("state", "--at", time).object()
            #expect(state.int("offset") == offset, "\(state)")
            check(state, equals: Timeline.expected(at: offset))
        }
    }

    @Test func thingScope() throws {
        try withTimeline { fx in
            let hub = try fx.annals("state", "--at", "5", "--thing", "t-hub").object()
            #expect(ids(hub, "things") == ["t-hub"] && ids(hub, "connections") == ["c-1"], "\(hub)")
            #expect(ids(hub, "knowledge") == ["k-1"], "\(hub)")
            let lamp = try fx.annals("state", "--at", "8", "--thing", "t-lamp").object()
            #expect(ids(lamp, "connections") == ["c-1", "c-2"], "from and to the thing: \(lamp)")
            #expect(ids(lamp, "knowledge").isEmpty, "\(lamp)")
            let deleted = try fx.annals("state", "--at", "9", "--thing", "t-lamp").object()
            #expect(ids(deleted, "things").isEmpty && ids(deleted, "connections").isEmpty, "\(deleted)")
            let unknown = try fx.annals("state", "--at", "10", "--thing", "nobody").object()
            #expect(unknown.array("things")?.isEmpty == true, "\(unknown)")
        }
    }

    @Test func groupScope() throws {
        try withTimeline { fx in
            let a = try fx.annals("state", "--at", "8", "--group", "org-a").object()
            #expect(ids(a, "things") == ["t-hub", "t-lamp"] && ids(a, "connections") == ["c-1"], "\(a)")
            #expect(ids(a, "knowledge") == ["k-1"], "\(a)")
            let b = try fx.annals("state", "--at", "10", "--group", "org-b").object()
            #expect(ids(b, "things") == ["t-bob"] && ids(b, "connections").isEmpty, "\(b)")
            #expect(ids(b, "knowledge") == ["k-2"], "\(b)")
        }
    }

    @Test func badInput() throws {
        try withTimeline(3) { fx in
            let past = try fx.annals("state", "--at", "4")
            #expect(past.status == Exit.invalidInput, "\(past)")
            #expect(past.errors.contains("past the log head 3"), "\(past)")
            for arguments in [
                ["state"], ["state", "--at", "yesterday"], ["state", "--at", "-1"],
                ["state", "--at", "1", "--thing", "t-hub", "--group", "org-a"],
            ] {
                let result = try fx.run(arguments + ["--store", fx.store])
                #expect(result.status == Exit.invalidArguments, "\(result)")
            }
        }
    }
}

extension ISO8601DateFormatter {
    /// `2026-11-25T10:00:00.123Z`.
    fileprivate static var withFraction: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
