import Annals

/// How many events of each vocabulary type an ontology stream holds (docs/EVENTS.md); `thing.updated` fills the
/// rest.
///
/// Deleting a thing also deletes its connections and knowledge, so the live counts at the end of a stream are a
/// little below the created ones; ``OntologyWorkload`` reports both.
struct OntologyShape: Sendable {
    /// Events in all.
    var events: Int
    /// `thing.created` events.
    var things: Int
    /// `connection.created` events.
    var connections: Int
    /// `knowledge.added` events.
    var knowledge: Int
    /// `connection.updated` events.
    var connectionUpdates: Int
    /// `thing.deleted` events.
    var thingDeletes: Int
    /// `connection.deleted` events.
    var connectionDeletes: Int

    /// `thing.updated` events: every event not counted by another field.
    var thingUpdates: Int {
        events - things - connections - knowledge - connectionUpdates - thingDeletes - connectionDeletes
    }

    /// The history `rebuild.all` and `state.at` read: 1,000,000 events making at least 50,000 things, 100,000
    /// connections and 20,000 knowledge items, the rest updates (thing property patches, some connection
    /// patches) and a few deletes; every size divided by `scale` (20 for `--quick`).
    static func history(scale: Int) -> OntologyShape {
        OntologyShape(
            events: 1_000_000 / scale, things: 51_000 / scale, connections: 104_000 / scale,
            knowledge: 20_500 / scale, connectionUpdates: 40_000 / scale, thingDeletes: 500 / scale,
            connectionDeletes: 1_000 / scale)
    }

    /// The knowledge base `search.vector` searches: 5,000 things, then 100,000 knowledge items about them; every
    /// size divided by `scale`.
    static func knowledgeBase(scale: Int) -> OntologyShape {
        let things = 5_000 / scale
        let knowledge = 100_000 / scale
        return OntologyShape(
            events: things + knowledge, things: things, connections: 0, knowledge: knowledge, connectionUpdates: 0,
            thingDeletes: 0, connectionDeletes: 0)
    }
}

/// A generated ontology event stream that is valid against the state it builds: every reference names a thing or
/// connection that exists at that point, and no id is created twice.
///
/// ```swift
/// let workload = OntologyWorkload.make(.history(scale: 1), seed: 42)
/// for batch in workload.batches(of: 1_000) { _ = try await store.append(contentsOf: batch) }
/// ```
struct OntologyWorkload: Sendable {
    /// The events, in order; in a fresh store event `i` gets offset `i + 1`.
    let events: [NewEvent]
    /// Every created thing's id with the offset of its `thing.created` event (in a fresh store), in order.
    let createdThings: [(id: String, offset: UInt64)]
    /// The events of each type, by type.
    let typeCounts: [String: Int]
    /// The things that exist after the last event.
    let liveThings: Int
    /// The connections that exist after the last event.
    let liveConnections: Int
    /// The knowledge items that exist after the last event.
    let liveKnowledge: Int

    /// Generates the stream `shape` describes from `seed`: the same events for the same seed on every run.
    static func make(_ shape: OntologyShape, seed: UInt64) -> OntologyWorkload {
        var generator = OntologyGenerator(seed: seed)
        return generator.make(shape)
    }

    /// The events cut into consecutive batches of `size` (the last one may be shorter).
    func batches(of size: Int) -> [[NewEvent]] {
        precondition(size > 0, "the batch size must be positive")
        return stride(from: 0, to: events.count, by: size).map { Array(events[$0..<min($0 + size, events.count)]) }
    }

    /// A progress line: the counts by type and what is live at the end.
    var summary: String {
        let types = typeCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "\(events.count) events (\(types)); live at the end: \(liveThings) things, \(liveConnections) "
            + "connections, \(liveKnowledge) knowledge items"
    }

    /// `count` search queries of 2–5 words from the vocabulary the knowledge texts are written in, from `seed`.
    static func searchQueries(_ count: Int, seed: UInt64) -> [String] {
        var random = SplitMix64(seed: seed ^ 0x5EA2_C4ED)
        return (0..<count).map { _ in
            (0..<(2 + random.int(below: 4))).map { _ in OntologyWords.pick(&random) }.joined(separator: " ")
        }
    }
}

/// The deterministic generator behind ``OntologyWorkload``; all randomness comes from ``SplitMix64``.
///
/// The stream opens with a tenth of the things (at least two per group) created group by group, so that the first
/// references have things to name; after that each event's type is drawn in proportion to how many of that type
/// are still to come, skipping types that have nothing to refer to yet. Updates, connections and knowledge favour
/// older things (a skewed draw over the live things), connections join things of the same group four times in
/// five, and deleting a thing removes its connections and knowledge from the generator's state as the
/// projections remove them from theirs.
private struct OntologyGenerator {
    /// The kinds of event, in the order ``OntologyShape`` lists them.
    private enum Kind: Int, CaseIterable {
        case thingCreated, thingUpdated, thingDeleted, connectionCreated, connectionUpdated, connectionDeleted
        case knowledgeAdded
    }

    /// The number of groups (organisations).
    private static let groupCount = 20
    /// The number of distinct actors.
    private static let actorCount = 1_000

    /// The source of all randomness.
    private var random: SplitMix64
    /// Salts the ids, so different seeds give different ids.
    private let idSalt: UInt64
    /// The group ids.
    private let groups: [String]
    /// Per thing, in creation order: its id.
    private var thingIDs: [String] = []
    /// Per thing: its group's index.
    private var thingGroups: [Int] = []
    /// Per thing: the connections created from or to it (some may be gone).
    private var thingConnections: [[Int32]] = []
    /// Per thing: how many knowledge items are about it.
    private var thingKnowledge: [Int] = []
    /// The things that exist.
    private var liveThings = LiveSet()
    /// Per connection, in creation order: its id.
    private var connectionIDs: [String] = []
    /// Per connection: its group's index (the group of the thing it starts from).
    private var connectionGroups: [Int] = []
    /// The connections that exist.
    private var liveConnections = LiveSet()
    /// Knowledge items created so far.
    private var knowledgeCreated = 0
    /// Knowledge items that exist.
    private var knowledgeLive = 0
    /// The events generated so far.
    private var events: [NewEvent] = []
    /// The events generated so far, by type.
    private var typeCounts: [String: Int] = [:]

    /// A generator whose output depends only on `seed`.
    init(seed: UInt64) {
        random = SplitMix64(seed: seed ^ 0x0A7A_1065)
        idSalt = mixed(seed)
        var names = SplitMix64(seed: seed ^ 0x6209)
        groups = (0..<Self.groupCount).map { _ in "org-" + hexadecimal(names.next() & 0xFF_FFFF, digits: 6) }
    }

    /// Generates the stream for `shape`.
    mutating func make(_ shape: OntologyShape) -> OntologyWorkload {
        precondition(shape.thingUpdates >= 0, "the shape has more typed events than events")
        precondition(shape.things >= 2, "the shape needs at least two things")
        events.reserveCapacity(shape.events)
        var remaining = [
            shape.things, shape.thingUpdates, shape.thingDeletes, shape.connections, shape.connectionUpdates,
            shape.connectionDeletes, shape.knowledge,
        ]
        let opening = min(max(shape.things / 10, 2 * Self.groupCount), shape.things, shape.events)
        for index in 0..<opening { createThing(group: index % Self.groupCount) }
        remaining[Kind.thingCreated.rawValue] -= opening
        while events.count < shape.events {
            let weights = Kind.allCases.map { isPossible($0) ? remaining[$0.rawValue] : 0 }
            guard weights.contains(where: { $0 > 0 }) else {
                updateThing()  // only impossible kinds are left: pad with updates
                continue
            }
            let kind = Kind(rawValue: random.weighted(weights))!
            remaining[kind.rawValue] -= 1
            switch kind {
            case .thingCreated: createThing(group: random.int(below: Self.groupCount))
            case .thingUpdated: updateThing()
            case .thingDeleted: deleteThing()
            case .connectionCreated: createConnection()
            case .connectionUpdated: updateConnection()
            case .connectionDeleted: deleteConnection()
            case .knowledgeAdded: addKnowledge()
            }
        }
        var created: [(id: String, offset: UInt64)] = []
        created.reserveCapacity(thingIDs.count)
        for (offset, event) in events.enumerated() where event.type == OntologyEventType.thingCreated {
            created.append((event.targetId!, UInt64(offset + 1)))
        }
        return OntologyWorkload(
            events: events, createdThings: created, typeCounts: typeCounts, liveThings: liveThings.count,
            liveConnections: liveConnections.count, liveKnowledge: knowledgeLive)
    }

    /// Whether an event of `kind` has something to refer to now.
    private func isPossible(_ kind: Kind) -> Bool {
        switch kind {
        case .thingCreated: true
        case .thingUpdated, .knowledgeAdded: liveThings.count >= 1
        case .thingDeleted: liveThings.count >= 2
        case .connectionCreated: liveThings.count >= 2
        case .connectionUpdated, .connectionDeleted: liveConnections.count >= 1
        }
    }

    // MARK: Events

    /// `thing.created` in group `group`.
    private mutating func createThing(group: Int) {
        let index = thingIDs.count
        let id = "thing-" + hexadecimal(mixed(idSalt &+ UInt64(index)), digits: 16)
        thingIDs.append(id)
        thingGroups.append(group)
        thingConnections.append([])
        thingKnowledge.append(0)
        liveThings.insert(index)
        var properties: [String: JSONValue] = [
            "visibility": .string(pick(["public", "private", "group"])),
            "price": .integer(random.int(below: 100_000)), "score": .integer(random.int(below: 1_000)),
            "tags": .array(labels()),
        ]
        if random.chance(40) { properties["description"] = .string(sentence(words: 6 + random.int(below: 10))) }
        emit(
            OntologyEventType.thingCreated, target: id, group: group,
            metadata: [
                "thingType": .string(pick(OntologyWords.thingTypes)), "name": .string(thingName()),
                "status": .string(pick(["draft", "active"])), "properties": .object(properties),
            ])
    }

    /// `thing.updated`: mostly a properties merge patch, sometimes a new status or name.
    private mutating func updateThing() {
        let thing = pickThing()
        var metadata: [String: JSONValue] = [:]
        let draw = random.int(below: 100)
        if draw < 15 {
            metadata["status"] = .string(pick(OntologyWords.statuses))
        } else if draw < 20 {
            metadata["name"] = .string(thingName())
        }
        if draw >= 10 {
            var patch: [String: JSONValue] = ["score": .integer(random.int(below: 1_000))]
            switch random.int(below: 6) {
            case 0: patch["price"] = .integer(random.int(below: 100_000))
            case 1:
                patch["stats"] = .object([
                    "views": .integer(random.skewed(below: 1_000_000)), "likes": .integer(random.int(below: 5_000)),
                ])
            case 2: patch["tags"] = .array(labels())
            case 3:
                patch["description"] = random.chance(30) ? .null : .string(sentence(words: 6 + random.int(below: 10)))
            case 4: patch["visibility"] = .string(pick(["public", "private", "group"]))
            default: break
            }
            metadata["properties"] = .object(patch)
        }
        emit(OntologyEventType.thingUpdated, target: thingIDs[thing], group: thingGroups[thing], metadata: metadata)
    }

    /// `thing.deleted`; its connections and knowledge go with it.
    private mutating func deleteThing() {
        let thing = pickThing()
        liveThings.remove(thing)
        for connection in thingConnections[thing] where liveConnections.contains(Int(connection)) {
            liveConnections.remove(Int(connection))
        }
        thingConnections[thing] = []
        knowledgeLive -= thingKnowledge[thing]
        thingKnowledge[thing] = 0
        emit(
            OntologyEventType.thingDeleted, target: thingIDs[thing], group: thingGroups[thing],
            metadata: ["reason": .string(pick(["user_request", "duplicate", "spam", "expired"]))])
    }

    /// `connection.created` between two existing things, of the same group four times in five.
    private mutating func createConnection() {
        let from = pickThing()
        var to = pickThing()
        var tries = 0
        while to == from || (tries < 4 && thingGroups[to] != thingGroups[from] && !random.chance(20)) {
            to = liveThings.member(random.int(below: liveThings.count))
            tries += 1
        }
        let index = connectionIDs.count
        let id = "conn-" + hexadecimal(mixed(~idSalt &+ UInt64(index)), digits: 16)
        connectionIDs.append(id)
        connectionGroups.append(thingGroups[from])
        liveConnections.insert(index)
        thingConnections[from].append(Int32(index))
        thingConnections[to].append(Int32(index))
        emit(
            OntologyEventType.connectionCreated, target: id, group: thingGroups[from],
            metadata: [
                "fromId": .string(thingIDs[from]), "toId": .string(thingIDs[to]),
                "connectionType": .string(pick(OntologyWords.connectionTypes)),
                "properties": .object([
                    "weight": .double(Double(random.int(below: 101)) / 100),
                    "since": .integer(random.int(below: 3_650)),
                ]),
            ])
    }

    /// `connection.updated`: a properties merge patch.
    private mutating func updateConnection() {
        let connection = liveConnections.member(random.int(below: liveConnections.count))
        var patch: [String: JSONValue] = ["weight": .double(Double(random.int(below: 101)) / 100)]
        if random.chance(30) { patch["note"] = random.chance(50) ? .null : .string(sentence(words: 4)) }
        emit(
            OntologyEventType.connectionUpdated, target: connectionIDs[connection],
            group: connectionGroups[connection], metadata: ["properties": .object(patch)])
    }

    /// `connection.deleted`.
    private mutating func deleteConnection() {
        let connection = liveConnections.member(random.int(below: liveConnections.count))
        liveConnections.remove(connection)
        emit(
            OntologyEventType.connectionDeleted, target: connectionIDs[connection],
            group: connectionGroups[connection], metadata: [:])
    }

    /// `knowledge.added` about an existing thing: 12–40 words and 1–3 labels, embedded by the store.
    private mutating func addKnowledge() {
        let thing = pickThing()
        let key = (idSalt ^ 0x6B6E_6F77) &+ UInt64(knowledgeCreated)
        let id = "know-" + hexadecimal(mixed(key), digits: 16)
        knowledgeCreated += 1
        knowledgeLive += 1
        thingKnowledge[thing] += 1
        emit(
            OntologyEventType.knowledgeAdded, target: id, group: thingGroups[thing],
            metadata: [
                "thingId": .string(thingIDs[thing]), "text": .string(sentence(words: 12 + random.int(below: 29))),
                "labels": .array(labels()),
            ])
    }

    // MARK: Helpers

    /// Appends one event by a skewed actor.
    private mutating func emit(_ type: String, target: String, group: Int?, metadata: [String: JSONValue]) {
        let actor = "user-" + String(1 + random.skewed(below: Self.actorCount))
        events.append(
            NewEvent(
                type: type, actorId: actor, targetId: target, groupId: group.map { groups[$0] },
                metadata: .object(metadata)))
        typeCounts[type, default: 0] += 1
    }

    /// An existing thing, older ones more often.
    private mutating func pickThing() -> Int { liveThings.member(random.skewed(below: liveThings.count)) }

    /// A display name such as `Golden Harbor 42`.
    private mutating func thingName() -> String {
        pick(OntologyWords.adjectives) + " " + pick(OntologyWords.nouns) + " " + String(random.int(below: 1_000))
    }

    /// `count` words of the vocabulary, capitalised and ending with a full stop.
    private mutating func sentence(words count: Int) -> String {
        var words = (0..<count).map { _ in OntologyWords.pick(&random) }
        words[0] = words[0].prefix(1).uppercased() + words[0].dropFirst()
        return words.joined(separator: " ") + "."
    }

    /// One to three labels.
    private mutating func labels() -> [JSONValue] {
        (0..<(1 + random.int(below: 3))).map { _ in .string(pick(OntologyWords.labels)) }
    }

    /// One of `choices`, uniformly.
    private mutating func pick(_ choices: [String]) -> String { choices[random.int(below: choices.count)] }
}

/// A set of small non-negative integers with O(1) insert, remove, membership and uniform access by position.
private struct LiveSet {
    /// The members, in no particular order.
    private var members: [Int] = []
    /// Per integer: its index in ``members``, or -1.
    private var positions: [Int] = []

    /// The number of members.
    var count: Int { members.count }

    /// The member at `position` (`0..<count`).
    func member(_ position: Int) -> Int { members[position] }

    /// Whether `value` is a member.
    func contains(_ value: Int) -> Bool { value < positions.count && positions[value] >= 0 }

    /// Adds `value`, which must not be a member.
    mutating func insert(_ value: Int) {
        if value >= positions.count { positions += Array(repeating: -1, count: value + 1 - positions.count) }
        positions[value] = members.count
        members.append(value)
    }

    /// Removes `value`, which must be a member (the last member takes its position).
    mutating func remove(_ value: Int) {
        let position = positions[value]
        let last = members.removeLast()
        if last != value {
            members[position] = last
            positions[last] = position
        }
        positions[value] = -1
    }
}

/// The words the ontology generator draws on.
private enum OntologyWords {
    /// Kinds of things.
    static let thingTypes = [
        "agent", "token", "course", "lesson", "product", "post", "community", "workflow", "person", "organization",
    ]
    /// Kinds of connections.
    static let connectionTypes = [
        "owns", "follows", "member_of", "holds_tokens", "enrolled_in", "created_by", "part_of", "collaborates_with",
    ]
    /// Lifecycle statuses.
    static let statuses = ["draft", "active", "published", "archived", "paused"]
    /// Knowledge labels and property tags.
    static let labels = [
        "skill:typescript", "skill:rust", "skill:swift", "topic:defi", "topic:education", "topic:agents",
        "industry:fintech", "format:video", "format:article", "audience:beginner", "audience:pro", "lang:en",
        "status:featured", "source:upload", "source:web",
    ]
    /// First words of thing names.
    static let adjectives = ["Solar", "Quiet", "Bright", "Northern", "Rapid", "Golden", "Open", "Deep", "Clever"]
    /// Second words of thing names.
    static let nouns = ["Scout", "Ledger", "Academy", "Garden", "Signal", "Harbor", "Forge", "Compass", "Circle"]

    /// The vocabulary of knowledge texts and search queries: 311 distinct words, drawn with a skew towards the front.
    static let vocabulary: [String] = """
        agent token course lesson product community workflow wallet payment invoice student teacher module chapter \
        video article guide tutorial question answer project team member owner creator reward stake pool liquidity \
        swap bridge chain block transaction signature contract deploy compile build test release version update \
        feature design pattern model memory context prompt response message channel thread reply mention follower \
        audience market price volume supply demand growth revenue profit margin budget forecast report summary \
        insight metric dashboard chart signal trend season launch campaign email newsletter landing page checkout \
        cart order shipping refund subscription plan tier upgrade discount coupon referral partner affiliate brand \
        logo story mission vision value culture hiring onboarding training mentor cohort workshop seminar webinar \
        podcast episode recording transcript caption subtitle language translation glossary definition concept \
        theory practice exercise quiz exam grade score certificate badge level progress streak habit goal \
        milestone roadmap backlog sprint ticket issue review merge branch commit repository library package \
        dependency plugin extension integration webhook endpoint request latency throughput cache index query \
        search ranking vector embedding similarity cluster graph node edge relation ontology schema event log \
        snapshot replay rollback audit history timeline calendar schedule deadline reminder notification alert \
        incident outage recovery backup restore security privacy consent policy compliance license terms \
        governance proposal vote quorum treasury grant bounty contributor maintainer sponsor donation fund \
        solana ethereum bitcoin stablecoin validator peer operator staking yield lending borrowing collateral \
        oracle auction marketplace collection artwork curator royalty mint burn airdrop whitelist allowlist \
        garden harbor forge compass circle scout ledger academy beacon bright quiet northern rapid golden open \
        deep clever solar river mountain forest ocean desert island valley meadow canyon glacier volcano storm \
        thunder rainbow sunrise sunset twilight midnight morning evening autumn winter spring summer harvest \
        seed root twig leaf flower fruit bread coffee tea kitchen recipe flavor spice vendor bazaar festival \
        music rhythm melody guitar piano violin drum singer dancer painter sculptor writer poet editor reader
        """.split(separator: " ").map(String.init)

    /// A vocabulary word; the first words are the most frequent (the smaller of two uniform draws).
    static func pick(_ random: inout SplitMix64) -> String { vocabulary[random.skewed(below: vocabulary.count)] }
}

/// A bijective scramble of `value`: the first output of a ``SplitMix64`` seeded with it, so distinct values give
/// distinct results.
private func mixed(_ value: UInt64) -> UInt64 {
    var generator = SplitMix64(seed: value)
    return generator.next()
}

/// `value` as lowercase hexadecimal, zero-padded to `digits` digits.
private func hexadecimal(_ value: UInt64, digits: Int) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(digits - text.count, 0)) + text
}
