/// One generated ONE-platform event, both as fields and as the JSON line a client would append.
///
/// `jsonLine` is `{"type":…,"actorId":…,"targetId":…,"groupId":…,"metadata":{…}}`, compact, without a
/// trailing newline, and between 200 and 300 bytes long.
struct WorkloadEvent: Sendable {
    /// The event type, such as `item.created` or `plugin_action_failed`.
    let type: String
    /// The acting user, `user-0001` … `user-1000`.
    let actorId: String
    /// The thing acted on, one of 300 `thing-xxxxxxxx` ids.
    let targetId: String
    /// The owning organisation, one of 20 `org-xxxxxx` ids.
    let groupId: String
    /// The metadata as a compact JSON object.
    let metadataJSON: [UInt8]
    /// The whole event as one compact JSON line, without a trailing newline.
    let jsonLine: [UInt8]
}

/// A deterministic generator of realistic ONE-platform events.
///
/// The same seed always yields the same sequence, on every platform and Swift version: all randomness comes from
/// ``SplitMix64`` through this file's own helpers, never from the standard library's `random(in:)`.
/// Actors and targets are skewed (a few users and things are much busier than the rest), each actor mostly acts
/// within one organisation, and plugin actions are initiated and later executed or failed under the same request id.
///
/// ```swift
/// var generator = WorkloadGenerator(seed: 42)
/// let events = generator.make(200_000)
/// ```
struct WorkloadGenerator {
    /// The number of distinct actors.
    static let actorCount = 1_000
    /// The number of distinct targets.
    static let targetCount = 300
    /// The number of distinct groups.
    static let groupCount = 20
    /// The smallest `jsonLine` the generator produces, in bytes.
    static let minimumLineBytes = 200
    /// The largest `jsonLine` the generator produces, in bytes.
    static let maximumLineBytes = 300

    /// The source of all randomness.
    private var random: SplitMix64
    /// The target ids, fixed per seed.
    private let targets: [String]
    /// The group ids, fixed per seed.
    private let groups: [String]
    /// Plugin actions initiated and not yet executed or failed: (request id, plugin, action).
    private var pending: [(String, String, String)] = []

    /// Creates a generator whose whole output is determined by `seed`.
    init(seed: UInt64) {
        var names = SplitMix64(seed: 0x4F4E_4521 ^ seed)
        targets = (0..<Self.targetCount).map { _ in "thing-" + hex(names.next(), digits: 8) }
        groups = (0..<Self.groupCount).map { _ in "org-" + hex(names.next(), digits: 6) }
        random = SplitMix64(seed: seed)
    }

    /// Generates `count` events.
    mutating func make(_ count: Int) -> [WorkloadEvent] {
        var events: [WorkloadEvent] = []
        events.reserveCapacity(count)
        for _ in 0..<count { events.append(next()) }
        return events
    }

    /// Generates the next event.
    mutating func next() -> WorkloadEvent {
        let type = Vocabulary.eventTypes[random.weighted(Vocabulary.eventWeights)]
        let actorIndex = random.skewed(below: Self.actorCount)
        let actorId = "user-" + zeroPadded(actorIndex + 1, width: 4)
        let targetId = targets[random.skewed(below: Self.targetCount)]
        let homeGroup = Int(mix(UInt64(actorIndex)) % UInt64(Self.groupCount))
        let groupId = groups[random.chance(10) ? random.int(below: Self.groupCount) : homeGroup]
        var fields = coreFields(for: type)
        let envelope = envelopeBytes(type: type, actorId: actorId, targetId: targetId, groupId: groupId)
        fitToSize(&fields, envelopeBytes: envelope)
        let metadata = JSONField.object(fields)
        let line =
            "{\"type\":\(jsonString(type)),\"actorId\":\(jsonString(actorId)),"
            + "\"targetId\":\(jsonString(targetId)),\"groupId\":\(jsonString(groupId)),\"metadata\":"
        return WorkloadEvent(
            type: type, actorId: actorId, targetId: targetId, groupId: groupId,
            metadataJSON: metadata, jsonLine: Array(line.utf8) + metadata + [UInt8(ascii: "}")])
    }

    /// The size of the line around the metadata object.
    private func envelopeBytes(type: String, actorId: String, targetId: String, groupId: String) -> Int {
        // {"type":"","actorId":"","targetId":"","groupId":"","metadata":} is 63 bytes; ids need no escaping.
        63 + type.utf8.count + actorId.utf8.count + targetId.utf8.count + groupId.utf8.count
    }

    /// Adds optional context fields until the line reaches a sampled size, and pads or trims to stay in range.
    private mutating func fitToSize(_ fields: inout [JSONField], envelopeBytes: Int) {
        // Aim for a triangular distribution over [minimum, maximum], centred on the middle.
        let span = Self.maximumLineBytes - Self.minimumLineBytes
        let goal = Self.minimumLineBytes + (random.int(below: span + 1) + random.int(below: span + 1)) / 2
        func size(_ fields: [JSONField]) -> Int { envelopeBytes + JSONField.objectSize(fields) }
        // Take context fields that keep the line within a few bytes of the goal, so sizes follow the goal's spread.
        let ceiling = min(goal + 8, Self.maximumLineBytes)
        var pool = optionalFields()
        while !pool.isEmpty && size(fields) < goal - 8 {
            let candidate = pool.remove(at: random.int(below: pool.count))
            if size(fields + [candidate]) <= ceiling { fields.append(candidate) }
        }
        while size(fields) > Self.maximumLineBytes && fields.count > 1 { fields.removeLast() }
        let missing = Self.minimumLineBytes - size(fields)
        if missing > 0 {
            // `,"note":""` costs 10 bytes before its text.
            fields.append(.init("note", .string(filler(length: max(missing - 10, 1)))))
        }
    }

    /// The fields every event of `type` carries.
    private mutating func coreFields(for type: String) -> [JSONField] {
        switch type {
        case "item.created":
            return [
                .init("thingType", .string(pick(Vocabulary.thingTypes))), .init("name", .string(thingName())),
                .init("status", .string(pick(["draft", "active"]))),
                .init("visibility", .string(pick(["public", "private", "group"]))),
                .init("tags", .strings((0..<(1 + random.int(below: 3))).map { _ in pick(Vocabulary.tags) })),
            ]
        case "item.updated":
            return [
                .init("changes", .strings((0..<(1 + random.int(below: 3))).map { _ in pick(Vocabulary.changes) })),
                .init("status", .string(pick(Vocabulary.statuses))),
                .init("previousStatus", .string(pick(Vocabulary.statuses))),
                .init("version", .int(2 + random.int(below: 60))),
            ]
        case "thing.deleted":
            return [
                .init("thingType", .string(pick(Vocabulary.thingTypes))),
                .init("reason", .string(pick(["user_request", "duplicate", "spam", "expired", "policy"]))),
                .init("softDelete", .bool(!random.chance(15))),
            ]
        case "link.created":
            return [
                .init("relationshipType", .string(pick(Vocabulary.relationships))),
                .init("toId", .string(targets[random.int(below: targets.count)])),
                .init("strength", .decimal(random.int(below: 101), places: 2)),
            ]
        case "knowledge.added":
            return [
                .init("knowledgeType", .string(pick(["label", "chunk", "document", "vector"]))),
                .init("label", .string(pick(Vocabulary.tags))),
                .init("source", .string(pick(["upload", "web", "plugin", "conversation"]))),
                .init("chunks", .int(1 + random.int(below: 40))), .init("tokens", .int(50 + random.int(below: 8_000))),
                .init("embeddingModel", .string("text-embedding-3-small")), .init("dimensions", .int(1536)),
            ]
        case "plugin_action_initiated":
            let (plugin, action) = pluginAction()
            let requestId = "req-" + hex(random.next(), digits: 16)
            pending.append((requestId, plugin, action))
            if pending.count > 64 { pending.removeFirst() }
            return [
                .init("plugin", .string(plugin)), .init("action", .string(action)),
                .init("requestId", .string(requestId)),
                .init("agentId", .string("agent-" + zeroPadded(1 + random.int(below: 120), width: 3))),
            ]
        case "plugin_action_executed", "plugin_action_failed":
            let (requestId, plugin, action) = takePending()
            var fields: [JSONField] = [
                .init("plugin", .string(plugin)), .init("action", .string(action)),
                .init("requestId", .string(requestId)),
                .init("durationMs", .int(5 + random.int(below: 200) * (1 + random.int(below: 20)))),
            ]
            if type == "plugin_action_failed" {
                fields.append(.init("error", .string(pick(Vocabulary.errorCodes))))
                fields.append(.init("retryable", .bool(random.chance(60))))
                fields.append(.init("attempt", .int(1 + random.int(below: 3))))
            } else if plugin.hasSuffix("solana") {
                fields.append(.init("txSignature", .string(base58(length: 44))))
            } else if plugin.hasSuffix("evm") {
                fields.append(.init("chainId", .int([1, 8453, 137, 42161][random.int(below: 4)])))
                fields.append(.init("gasUsed", .int(21_000 + random.int(below: 400_000))))
            } else {
                fields.append(.init("resultBytes", .int(random.int(below: 20_000))))
            }
            return fields
        case "plugin.installed":
            return [
                .init("plugin", .string(pick(Vocabulary.plugins))),
                .init("version", .string("\(random.int(below: 2)).\(random.int(below: 20)).\(random.int(below: 30))")),
                .init("registry", .string("npm")), .init("enabledActions", .int(1 + random.int(below: 12))),
            ]
        case "payment.completed":
            let currency = pick(["USD", "EUR", "USDC", "SOL"])
            return [
                .init("amount", .decimal(100 + random.skewed(below: 500_000), places: 2)),
                .init("currency", .string(currency)),
                .init("provider", .string(currency == "SOL" || currency == "USDC" ? "solana-pay" : "stripe")),
                .init("invoiceId", .string("inv-" + hex(random.next(), digits: 10))),
            ]
        default:  // message.sent
            return [
                .init("channel", .string(pick(["discord", "telegram", "web", "email", "twitter"]))),
                .init("conversationId", .string("conv-" + hex(random.next(), digits: 12))),
                .init("model", .string(pick(["gpt-4o-mini", "claude-3-5-sonnet", "llama-3.1-70b"]))),
                .init("tokensIn", .int(random.int(below: 4_000))), .init("tokensOut", .int(random.int(below: 1_200))),
            ]
        }
    }

    /// Context fields that some clients send, drawn on to make sizes vary realistically.
    private mutating func optionalFields() -> [JSONField] {
        [
            .init("traceId", .string(hex(random.next(), digits: 16) + hex(random.next(), digits: 16))),
            .init("sessionId", .string("sess-" + hex(random.next(), digits: 12))),
            .init("client", .string(pick(["web/2.14.3", "web/2.15.0", "ios/1.9.2", "cli/0.8.1", "agent/1.4.0"]))),
            .init("locale", .string(pick(["en-US", "en-GB", "de-DE", "fr-FR", "ja-JP", "pt-BR"]))),
            .init("region", .string(pick(["us-east-1", "eu-west-1", "ap-southeast-2"]))),
            .init("origin", .string(pick(["ui", "api", "agent", "webhook", "import"]))),
            .init("latencyMs", .int(1 + random.skewed(below: 900))),
            .init("experiment", .string(pick(["onboarding-b", "pricing-v3", "none", "agent-memory-2"]))),
        ]
    }

    /// A plugin (popular ones more often) and one of its actions.
    private mutating func pluginAction() -> (String, String) {
        let index = random.skewed(below: Vocabulary.plugins.count)
        return (Vocabulary.plugins[index], pick(Vocabulary.actions[index]))
    }

    /// The oldest pending request, or a fresh one if none is pending (as after a restart).
    private mutating func takePending() -> (String, String, String) {
        if !pending.isEmpty { return pending.remove(at: random.int(below: min(pending.count, 8))) }
        let (plugin, action) = pluginAction()
        return ("req-" + hex(random.next(), digits: 16), plugin, action)
    }

    /// A display name such as `Golden Harbor 42`.
    private mutating func thingName() -> String {
        pick(Vocabulary.adjectives) + " " + pick(Vocabulary.nouns)
            + (random.chance(30) ? " \(random.int(below: 100))" : "")
    }

    /// Lowercase words, exactly `length` bytes long, to pad a short event.
    private mutating func filler(length: Int) -> String {
        var text = ""
        while text.utf8.count < length { text += (text.isEmpty ? "" : " ") + pick(Vocabulary.nouns).lowercased() }
        return String(text.utf8.prefix(length))!
    }

    /// A random base58 string, like a Solana transaction signature.
    private mutating func base58(length: Int) -> String {
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        return String((0..<length).map { _ in alphabet[random.int(below: alphabet.count)] })
    }

    /// One of `choices`, uniformly.
    private mutating func pick(_ choices: [String]) -> String { choices[random.int(below: choices.count)] }
}

/// The words the generator draws on.
private enum Vocabulary {
    /// The event types, weighted by `eventWeights`.
    static let eventTypes = [
        "item.created", "item.updated", "thing.deleted", "link.created", "knowledge.added",
        "plugin_action_initiated", "plugin_action_executed", "plugin_action_failed", "plugin.installed",
        "payment.completed", "message.sent",
    ]
    /// How often each of `eventTypes` occurs, relative to the others.
    static let eventWeights = [12, 20, 2, 12, 10, 14, 12, 2, 1, 5, 10]
    /// Kinds of things.
    static let thingTypes = ["agent", "token", "course", "lesson", "product", "post", "community", "workflow"]
    /// Lifecycle statuses of things.
    static let statuses = ["draft", "active", "published", "archived", "paused"]
    /// Properties an update can change.
    static let changes = ["name", "status", "description", "price", "properties", "owner", "tags", "avatar"]
    /// Kinds of connections between things.
    static let relationships = [
        "owns", "follows", "member_of", "holds_tokens", "enrolled_in", "created_by", "part_of", "collaborates_with",
    ]
    /// Knowledge labels and tags.
    static let tags = [
        "skill:typescript", "skill:rust", "topic:defi", "topic:education", "industry:fintech", "format:video",
        "audience:beginner", "audience:pro", "lang:en", "status:featured",
    ]
    /// Installed plugins, most popular first.
    static let plugins = [
        "@elizaos/plugin-solana", "@elizaos/plugin-openai", "@elizaos/plugin-discord", "@elizaos/plugin-telegram",
        "@elizaos/plugin-twitter", "@elizaos/plugin-evm", "@elizaos/plugin-knowledge", "@elizaos/plugin-sql",
        "@one/plugin-stripe", "@one/plugin-resend",
    ]
    /// The actions of each of `plugins`, index for index.
    static let actions = [
        ["SEND_TOKEN", "SWAP", "CHECK_BALANCE"], ["GENERATE_TEXT", "SUMMARIZE", "GENERATE_IMAGE"],
        ["SEND_MESSAGE", "JOIN_CHANNEL"], ["SEND_MESSAGE"], ["POST_TWEET", "REPLY", "LIKE"],
        ["TRANSFER", "SWAP", "CHECK_BALANCE", "BRIDGE"], ["ADD_KNOWLEDGE", "SEARCH_KNOWLEDGE"], ["QUERY"],
        ["CREATE_INVOICE", "REFUND", "CREATE_CHECKOUT"], ["SEND_EMAIL"],
    ]
    /// Why plugin actions fail.
    static let errorCodes = [
        "RPC_TIMEOUT", "INSUFFICIENT_FUNDS", "RATE_LIMITED", "INVALID_SIGNATURE", "UPSTREAM_5XX", "BAD_INPUT",
    ]
    /// First words of thing names.
    static let adjectives = ["Solar", "Quiet", "Bright", "Northern", "Rapid", "Golden", "Open", "Deep", "Clever"]
    /// Second words of thing names, also used as filler.
    static let nouns = ["Scout", "Ledger", "Academy", "Garden", "Signal", "Harbor", "Forge", "Compass", "Circle"]
}

/// One `"key":value` member of a compact JSON object, already encoded.
private struct JSONField {
    /// A JSON value the generator emits.
    enum Value {
        /// A string.
        case string(String)
        /// An array of strings.
        case strings([String])
        /// An integer.
        case int(Int)
        /// A fixed-point number: `units` divided by 10^`places`, printed with exactly `places` decimals.
        case decimal(Int, places: Int)
        /// `true` or `false`.
        case bool(Bool)
    }

    /// The encoded member, such as `"status":"active"`.
    let bytes: [UInt8]

    /// Encodes `"key":value`.
    init(_ key: String, _ value: Value) {
        var text = jsonString(key) + ":"
        switch value {
        case .string(let string): text += jsonString(string)
        case .strings(let strings): text += "[" + strings.map(jsonString).joined(separator: ",") + "]"
        case .int(let int): text += String(int)
        case .bool(let bool): text += bool ? "true" : "false"
        case .decimal(let units, let places):
            var scale = 1
            for _ in 0..<places { scale *= 10 }
            text += String(units / scale) + "." + zeroPadded(units % scale, width: places)
        }
        bytes = Array(text.utf8)
    }

    /// The size of `{…}` holding `fields`.
    static func objectSize(_ fields: [JSONField]) -> Int {
        fields.reduce(2 + max(fields.count - 1, 0)) { $0 + $1.bytes.count }
    }

    /// `fields` as a compact JSON object.
    static func object(_ fields: [JSONField]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(objectSize(fields))
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += field.bytes
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}

/// SplitMix64 (Steele, Lea and Flood): a tiny, fast, seedable generator with good statistical quality.
struct SplitMix64: Sendable {
    /// The counter that `next()` advances by the golden-ratio increment.
    private var state: UInt64

    /// Creates a generator; equal seeds give equal sequences.
    init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix(state)
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-high; the bias is negligible for small bounds).
    mutating func int(below bound: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// An integer in `0..<bound` skewed towards small values (the minimum of two uniform draws).
    mutating func skewed(below bound: Int) -> Int {
        min(int(below: bound), int(below: bound))
    }

    /// `true` with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool { int(below: 100) < percent }

    /// An index into `weights`, drawn in proportion to the weights.
    mutating func weighted(_ weights: [Int]) -> Int {
        var draw = int(below: weights.reduce(0, +))
        for (index, weight) in weights.enumerated() {
            if draw < weight { return index }
            draw -= weight
        }
        return weights.count - 1
    }
}

/// The SplitMix64 finaliser: a bijective mix of all 64 bits.
private func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// `value` as lowercase hexadecimal, keeping the low `digits` nibbles, zero-padded.
private func hex(_ value: UInt64, digits: Int) -> String {
    let masked = digits >= 16 ? value : value & ((1 << (4 * UInt64(digits))) - 1)
    return zeroPadded(String(masked, radix: 16), width: digits)
}

/// `value` in decimal, left-padded with zeros to `width` digits.
private func zeroPadded(_ value: Int, width: Int) -> String { zeroPadded(String(value), width: width) }

/// `text` left-padded with zeros to `width` characters.
private func zeroPadded(_ text: String, width: Int) -> String {
    String(repeating: "0", count: max(width - text.count, 0)) + text
}

/// `text` as a JSON string literal, with quotes, backslashes and control characters escaped.
private func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += "\\u" + zeroPadded(String(scalar.value, radix: 16), width: 4)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
