import Foundation

@testable import Annals

/// A deterministic generator (SplitMix64) for property tests, so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random batches of vocabulary events that are mostly valid (it tracks which things, connections and knowledge
/// exist) with some contradicting ones mixed in, which the store must reject.
struct RandomOntology {
    var random: SeededGenerator
    private var things: [String] = []
    private var connections: [(id: String, from: String, to: String)] = []
    private var knowledge: [(id: String, thing: String)] = []
    private var counter = 0
    private let prefix: String
    private let words = ["lamp", "zigbee", "bridge", "warm", "kitchen", "sensor", "battery", "crypto", "exchange"]

    init(seed: UInt64) {
        random = SeededGenerator(state: seed)
        prefix = "s\(seed)-"
    }

    mutating func nextID(_ kind: String) -> String {
        counter += 1
        return "\(prefix)\(kind)\(counter)"
    }

    /// A batch of 1–5 events; `valid` tells whether it should be accepted.
    mutating func batch() -> (events: [NewEvent], valid: Bool) {
        var events: [NewEvent] = []
        let count = Int.random(in: 1...5, using: &random)
        var shadowThings = Set(things)
        for _ in 0..<count { events.append(nextEvent(&shadowThings)) }
        if Int.random(in: 0..<8, using: &random) == 0 {
            events.insert(
                Vocabulary.update("ghost-\(counter)", status: "x"), at: Int.random(in: 0...events.count, using: &random)
            )
            return (events, false)
        }
        return (events, true)
    }

    /// Marks a batch as committed (so the model follows the store).
    mutating func commit(_ events: [NewEvent]) {
        for event in events {
            let id = event.targetId!
            switch event.type {
            case "thing.created": things.append(id)
            case "thing.deleted":
                things.removeAll { $0 == id }
                knowledge.removeAll { $0.thing == id }
            case "connection.created":
                connections.append((id, event.metadata["fromId"]!.stringValue!, event.metadata["toId"]!.stringValue!))
            case "connection.deleted": connections.removeAll { $0.id == id }
            case "knowledge.added": knowledge.append((id, event.metadata["thingId"]!.stringValue!))
            case "knowledge.deleted": knowledge.removeAll { $0.id == id }
            default: break
            }
        }
    }

    /// Connections whose endpoints were deleted are gone too: keeps only those the store still has.
    mutating func retain(connections present: Set<String>) { connections.removeAll { !present.contains($0.id) } }

    private mutating func word() -> String { words.randomElement(using: &random)! }

    private mutating func nextEvent(_ shadow: inout Set<String>) -> NewEvent {
        let live = things.filter { shadow.contains($0) }
        let roll = Int.random(in: 0..<100, using: &random)
        let group = "org-\(Int.random(in: 0..<3, using: &random))"
        if live.count < 3 || roll < 25 {
            let id = nextID("t")
            shadow.insert(id)
            return Vocabulary.thing(
                id, type: ["device", "person", "plugin"].randomElement(using: &random)!, group: group,
                name: "\(word()) \(id)", properties: ["n": .integer(counter), "tag": .string(word())])
        }
        let a = live.randomElement(using: &random)!
        if roll < 55 {
            return Vocabulary.update(
                a, status: roll % 2 == 0 ? ["active", "retired"].randomElement(using: &random)! : nil,
                patch: ["n": .integer(counter), "extra": roll % 3 == 0 ? .null : .string(word())])
        }
        if roll < 70 {
            let b = live.randomElement(using: &random)!
            return Vocabulary.connect(
                nextID("c"), from: a, to: b, type: ["uses", "owns"].randomElement(using: &random)!, group: group)
        }
        if roll < 82 {
            return Vocabulary.knowledge(
                nextID("k"), about: a, text: "\(word()) \(word()) \(word()) notes", labels: [word()], group: group)
        }
        if roll < 88,
            let c = connections.filter({ shadow.contains($0.from) && shadow.contains($0.to) }).randomElement(
                using: &random)
        {
            return NewEvent(type: "connection.updated", targetId: c.id, metadata: ["properties": ["w": .integer(roll)]])
        }
        if roll < 93, let k = knowledge.last(where: { shadow.contains($0.thing) }) {
            // Forgotten at once, so the batch cannot delete it twice (a rejected batch only leaves it unused).
            knowledge.removeAll { $0.id == k.id }
            return NewEvent(type: "knowledge.deleted", targetId: k.id)
        }
        shadow.remove(a)
        return Vocabulary.deleteThing(a)
    }
}
