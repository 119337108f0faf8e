import Annals
import AnnalsSandbox
import Foundation

/// The host functions a plugin's capabilities reach, on the store and inside one organization.
///
/// - `events.read`: `{"types": ["order.*"], "after": OFFSET, "limit": N}` → a JSON array of the organization's
///   events (at most 100 per call, from at most 10,000 read); other organizations' events are never visible, nor
///   the platform's own (its
///   `plugin_*` types and the streams it keeps: executions, jobs, installs, plugins' key/value state, …).
/// - `events.append`: `{"type": "…", "targetId": "…", "metadata": {…}}` → `{"offset": N}`; the event is appended
///   in the organization's group with the actor `plugin:NAME`, and may not use the platform's reserved types
///   (`plugin_*`, `thing.*`, `connection.*`, `knowledge.*`) nor its streams (``PlatformIDs/reservedStreamPrefixes``).
///   The platform stamps `metadata.plugin` as `{name, correlationId, depth}` (whatever the plugin put there):
///   `depth` is one more than the depth of the event that triggered the execution (``cascadeDepth(of:)``; 0 when no
///   event did), and an append whose event would be deeper than the cascade limit is refused, so plugins that feed
///   each other events stop after that many hops.
/// - `kv`: the plugin's private state in the organization, kept as the thing `kv:ORG:NAME` (each `kv_set` is a
///   `thing.updated` event with a merge patch), so it is in the log, replayable and rolled back like everything
///   else. Values are UTF-8 text.
/// - Writes (`events_append`, `kv_set`) are limited by ``PluginWriteLimits``: per execution, how many succeed and
///   how many bytes they write; per plugin and organization, the size of the kv state. A write past a limit is
///   refused before anything is written.
/// - `secrets.read:NAME`: the secret's value from the ``SecretStore``; the names read are recorded with the
///   execution's outcome, never the values.
final class PlatformPluginHost: PluginHost, @unchecked Sendable {
    private let store: EventStore
    private let secrets: any SecretStore
    private let organization: String
    private let plugin: String
    private let correlationId: String
    private let triggerDepth: Int
    private let cascadeLimit: Int
    private let writeLimits: PluginWriteLimits
    private let lock = NSLock()
    private var secretNames: Set<String> = []
    private var writes = 0
    private var bytesWritten = 0
    /// Streams this execution found or made its organization's: a stream's first event never changes, so each is read
    /// once per execution, not once per append.
    private var organizationStreams: Set<String> = []

    /// A host for one execution.
    /// - Parameters:
    ///   - triggerDepth: The cascade depth of the event that triggered the execution (``cascadeDepth(of:)``), 0
    ///     when no event did.
    ///   - cascadeLimit: The deepest an appended event may be.
    ///   - writeLimits: What the execution may write, and how large the plugin's kv state may grow.
    init(
        store: EventStore, secrets: any SecretStore, organization: String, plugin: String, correlationId: String,
        triggerDepth: Int = 0, cascadeLimit: Int = PluginRuntime.defaultCascadeLimit,
        writeLimits: PluginWriteLimits = PluginWriteLimits()
    ) {
        self.store = store
        self.secrets = secrets
        self.organization = organization
        self.plugin = plugin
        self.correlationId = correlationId
        self.triggerDepth = min(max(0, triggerDepth), Int.max - 1)
        self.cascadeLimit = cascadeLimit
        self.writeLimits = writeLimits
    }

    /// How many plugin appends deep `event` is: its `metadata.plugin.depth` when that is an integer of at least 0
    /// (the platform stamps it on every event appended through `events_append`, overwriting what the plugin gave),
    /// else 0 (an event not appended by a plugin, or appended before depths were recorded).
    static func cascadeDepth(of event: RecordedEvent) -> Int {
        guard let depth = event.metadata["plugin"]?["depth"]?.int64Value, depth >= 0 else { return 0 }
        return Int(clamping: depth)
    }

    /// The names of the secrets the execution read.
    var secretsRead: [String] { lock.withLock { secretNames.sorted() } }

    /// The id of the plugin's key/value thing.
    static func kvThing(organization: String, plugin: String) -> String { "kv:\(organization):\(plugin)" }

    func readEvents(_ requestJSON: [UInt8]) throws -> [UInt8] {
        let request = try JSONParser.parse(requestJSON)
        let types = (request["types"]?.arrayValue ?? []).compactMap(\.stringValue)
        for pattern in types where !EventFilter.isValidPattern(pattern) {
            throw HostCallError("'\(Self.shortened(pattern))' is not an event type pattern")
        }
        let filter = EventFilter(types: types, groupId: organization)
        let after = UInt64(max(0, request["after"]?.int64Value ?? 0))
        let limit = max(1, min(100, Int(request["limit"]?.int64Value ?? 100)))
        var reader = store.events(filter.query(after: after, through: .max)).makeReader()
        var out: [UInt8] = [UInt8(ascii: "[")]
        var count = 0
        var scanned = 0
        // A host call cannot be interrupted: one reads at most this many events, returned or skipped (the platform's
        // own), and the plugin continues after the last offset it got.
        while count < limit, scanned < Self.maximumEventsScanned, let event = try reader.next() {
            scanned += 1
            guard filter.matches(event), !Self.isPlatformEvent(type: event.type, targetId: event.targetId) else {
                continue
            }
            if count > 0 { out.append(UInt8(ascii: ",")) }
            event.appendJSON(to: &out)
            count += 1
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    func appendEvent(_ eventJSON: [UInt8]) throws -> [UInt8] {
        let event = try JSONParser.parse(eventJSON)
        guard let type = event["type"]?.stringValue else { throw HostCallError("the event has no \"type\"") }
        // Compared without case: `PLUGIN_ACTION_FAILED` or `Execution:…` would read to a person as the platform's.
        // And as bytes: `hasPrefix` compares whole characters, so `kv:` followed by a combining mark (one character
        // with the colon) would pass, though its bytes begin with the platform's prefix, as the log's indexes see it.
        let lowercasedType = type.lowercased()
        for reserved in ["plugin_", "thing.", "connection.", "knowledge."]
        where Self.startsWithBytes(lowercasedType, reserved) {
            throw HostCallError("plugins may not append '\(reserved)*' events (\(Self.shortened(type)))")
        }
        let targetId = event["targetId"]?.stringValue
        if let targetId,
            let reserved = PlatformIDs.reservedStreamPrefixes.first(where: {
                Self.startsWithBytes(targetId.lowercased(), $0)
            })
        {
            throw HostCallError(
                "plugins may not append to the platform's '\(reserved)…' streams (\(Self.shortened(targetId)))")
        }
        guard triggerDepth < cascadeLimit else {
            throw HostCallError(
                "cascade limit: this event would be \(triggerDepth + 1) plugin appends deep (limit \(cascadeLimit))")
        }
        let expectedVersion = try targetId.flatMap(expectedVersion(ofStreamTakenBy:))
        try checkWriteLimits(adding: eventJSON.count)
        var metadata = event["metadata"]?.objectValue ?? [:]
        metadata["plugin"] = [
            "name": .string(plugin), "correlationId": .string(correlationId), "depth": .integer(triggerDepth + 1),
        ]
        let receipts = try store.appendAndWait([
            NewEvent(
                type: type, actorId: "plugin:\(plugin)", targetId: targetId,
                groupId: organization, metadata: .object(metadata), expectedVersion: expectedVersion)
        ])
        recordWrite(of: eventJSON.count)
        if let targetId { lock.withLock { _ = organizationStreams.insert(targetId) } }
        return Array("{\"offset\":\(receipts[0].offset)}".utf8)
    }

    /// Refuses an append to the stream `targetId` unless the stream is the organization's: its first event is of the
    /// organization's group. Streams are the log's, shared by every organization (one per target id), so without this
    /// a plugin could add versions to another organization's entity, making that organization's `expectedVersion`
    /// appends fail and its history show the plugin's event. The refusal does not name the other organization.
    /// - Returns: `nil` for a stream the organization began; 0 for one no event began yet, so that the append is its
    ///   first event, or fails if another event began it meanwhile.
    private func expectedVersion(ofStreamTakenBy targetId: String) throws -> UInt64? {
        if lock.withLock({ organizationStreams.contains(targetId) }) { return nil }
        var events = try store.stream(targetId).makeReader()
        guard let first = try events.next() else { return 0 }
        guard first.groupId == organization else {
            throw HostCallError(
                "plugins may append only to streams begun in their organization: '\(Self.shortened(targetId))' was "
                    + "begun outside '\(organization)'")
        }
        lock.withLock { _ = organizationStreams.insert(targetId) }
        return nil
    }

    /// Refuses a write of `bytes` that would take the execution past ``PluginWriteLimits/maxWrites`` or
    /// ``PluginWriteLimits/maxBytes``.
    private func checkWriteLimits(adding bytes: Int) throws {
        let (writes, written) = lock.withLock { (self.writes, bytesWritten) }
        guard writes < writeLimits.maxWrites else {
            throw HostCallError(
                "write limit: this execution already made \(writes) writes (events_append and kv_set), the most one "
                    + "execution may make (limit \(writeLimits.maxWrites))")
        }
        guard bytes <= writeLimits.maxBytes - written else {
            throw HostCallError(
                "write limit: this write of \(bytes) bytes would bring what this execution wrote to "
                    + "\(written + bytes) bytes (limit \(writeLimits.maxBytes) bytes per execution)")
        }
    }

    /// Counts a write of `bytes` that succeeded.
    private func recordWrite(of bytes: Int) {
        lock.withLock {
            writes += 1
            bytesWritten += bytes
        }
    }

    /// The most events one `events_read` call reads, returned or skipped.
    static let maximumEventsScanned = 10_000

    /// Whether an event is the platform's own: one of its `plugin_*` types, or on one of its streams.
    static func isPlatformEvent(type: String, targetId: String?) -> Bool {
        startsWithBytes(type, "plugin_")
            || targetId.map { target in
                PlatformIDs.reservedStreamPrefixes.contains { startsWithBytes(target, $0) }
            } == true
    }

    /// Whether the UTF-8 bytes of `text` begin with those of `prefix` (not `hasPrefix`, which compares characters:
    /// a combining mark after the prefix's last byte would make it answer no).
    static func startsWithBytes(_ text: String, _ prefix: String) -> Bool {
        text.utf8.starts(with: prefix.utf8)
    }

    /// `text` for an error message, which the execution's outcome records: whole up to 100 characters, otherwise not
    /// shown (a plugin must not make the outcome too large to record, and a secret cut in part would escape the
    /// redaction of whole values).
    static func shortened(_ text: String) -> String {
        text.count <= 100 ? text : "(\(text.utf8.count) bytes, not shown)"
    }

    func kvGet(_ key: String) throws -> [UInt8]? {
        let id = Self.kvThing(organization: organization, plugin: plugin)
        guard let value = try store.thing(id)?.properties[key]?.stringValue else { return nil }
        return Array(value.utf8)
    }

    func kvSet(_ key: String, _ value: [UInt8]) throws {
        guard let text = String(validating: value, as: UTF8.self) else {
            throw HostCallError("kv values must be UTF-8 text")
        }
        let bytes = key.utf8.count + value.count
        try checkWriteLimits(adding: bytes)
        let id = Self.kvThing(organization: organization, plugin: plugin)
        let patch: JSONValue = [key: .string(text)]
        let metadata: [String: JSONValue] = [
            "plugin": ["name": .string(plugin), "correlationId": .string(correlationId)]
        ]
        // Created on first use. Appended at the version its state was checked at (read before the state, so the
        // state is at least that recent): a concurrent kv_set of another execution in between makes the append
        // fail, and it is checked again against the state that includes it, so executions running at once cannot
        // take the state past its limit together.
        for _ in 0..<Self.kvAttempts {
            let version = try store.version(of: id)
            let thing = try store.thing(id)
            let exists = thing != nil
            try checkKVState(thing, setting: key, valueBytes: value.count)
            var fields = metadata
            fields["properties"] = patch
            if !exists {
                fields["thingType"] = "plugin.kv"
                fields["name"] = .string(plugin)
            }
            let event = NewEvent(
                type: exists ? OntologyEventType.thingUpdated : OntologyEventType.thingCreated,
                actorId: "plugin:\(plugin)", targetId: id, groupId: organization, metadata: .object(fields),
                expectedVersion: version)
            let result = Result { () throws(AnnalsError) in try store.appendAndWait([event]) }
            switch result {
            case .success:
                recordWrite(of: bytes)
                return
            case .failure(.versionConflict), .failure(.rejectedEvent): continue
            case .failure(let error): throw error
            }
        }
        throw HostCallError("the kv state of \(plugin) keeps changing concurrently")
    }

    /// How many times a `kv_set` is tried while other executions keep changing the same state.
    static let kvAttempts = 16

    /// Refuses a `kv_set` of `key` to a value of `valueBytes` bytes that would take the kv state `thing` past
    /// ``PluginWriteLimits/maxKVStateBytes``.
    private func checkKVState(_ thing: Thing?, setting key: String, valueBytes: Int) throws {
        let limit = writeLimits.maxKVStateBytes
        // The JSON of a string is never shorter than its UTF-8 bytes: a state whose JSON is small enough is within
        // the limit without being parsed.
        guard (thing?.propertiesJSON.count ?? 0) + key.utf8.count + valueBytes > limit else { return }
        let state = Self.kvStateBytes(thing, setting: key, valueBytes: valueBytes)
        guard state > limit else { return }
        throw HostCallError(
            "kv state limit: after this kv_set the kv state of \(plugin) in \(organization) would be \(state) bytes "
                + "of keys and values (limit \(limit) bytes); nothing was stored")
    }

    /// The UTF-8 bytes of the keys and values of the kv state `thing` (none yet when `nil`) once `key` is set to a
    /// value of `valueBytes` bytes.
    static func kvStateBytes(_ thing: Thing?, setting key: String, valueBytes: Int) -> Int {
        let set = key.utf8.count + valueBytes
        guard let thing else { return set }
        var total = set
        for (name, value) in thing.properties.objectValue ?? [:] where name != key {
            total += name.utf8.count + (value.stringValue?.utf8.count ?? value.canonicalBytes.count)
        }
        return total
    }

    func secret(named name: String) throws -> String? {
        lock.withLock { _ = secretNames.insert(name) }
        return try secrets.secret(named: name, organization: organization)
    }
}

/// A host call the platform refuses, such as an append of a reserved event type.
struct HostCallError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
