import Annals
import AnnalsSandbox
import Foundation

extension PluginDispatcher {
    /// The dead letters of `organization` (every organization when `nil`), oldest first, with whether a later
    /// retry resolved each.
    ///
    /// A letter's first `plugin_dead_letter` places it in the order; each later one on its stream (a failed
    /// retry, or the event failing again after its cursor was reset) updates its `attempts`, `errorKind` and `error`
    /// and leaves it unresolved, and `plugin_dead_letter_resolved` marks it resolved.
    public static func deadLetters(_ store: EventStore, organization: String? = nil) throws(PlatformError)
        -> [DeadLetter]
    {
        try deadLetterRecords(store, organization: organization).map(\.letter)
    }

    /// The dead letters as ``deadLetters(_:organization:)`` lists them, each with the metadata of the latest
    /// `plugin_dead_letter` on its stream (what a failed retry copies into the one it appends) and the stream's
    /// version (what the failed retry expects it still to be).
    static func deadLetterRecords(_ store: EventStore, organization: String?) throws(PlatformError)
        -> [DeadLetterRecord]
    {
        var query = deadLetterQuery
        query.groupId = organization
        return try deadLetterRecords(store, matching: query)
    }

    /// The `plugin_dead_letter` and `plugin_dead_letter_resolved` events, of every letter.
    private static var deadLetterQuery: EventQuery {
        var query = EventQuery()
        query.types = [ExecutionEventType.deadLetter, ExecutionEventType.deadLetterResolved]
        return query
    }

    /// The dead letters the events `query` (a narrowing of ``deadLetterQuery``) finds, as
    /// ``deadLetterRecords(_:organization:)`` lists them.
    private static func deadLetterRecords(_ store: EventStore, matching query: EventQuery) throws(PlatformError)
        -> [DeadLetterRecord]
    {
        var records: [String: DeadLetterRecord] = [:]
        var order: [String] = []
        do {
            for event in try store.events(query).collect() {
                guard let id = event.targetId else { continue }
                if event.type == ExecutionEventType.deadLetterResolved {
                    records[id]?.letter.resolved = true
                    records[id]?.version = event.version
                    continue
                }
                let metadata = event.metadata
                let attempts = Int(metadata["attempts"]?.int64Value ?? 0)
                let errorKind = metadata["errorKind"]?.stringValue ?? ""
                let error = metadata["error"]?.stringValue ?? ""
                if var record = records[id] {
                    // A failed retry: the same letter, one attempt more and its failure. After a resolution it is a
                    // new failure of the event (delivered again once its cursor was reset): unresolved again.
                    record.letter.attempts = attempts
                    record.letter.errorKind = errorKind
                    record.letter.error = error
                    record.letter.resolved = false
                    record.metadata = metadata.objectValue ?? [:]
                    record.version = event.version
                    records[id] = record
                    continue
                }
                order.append(id)
                let letter = DeadLetter(
                    id: id, organization: event.groupId ?? "", plugin: metadata["plugin"]?.stringValue ?? "",
                    eventOffset: UInt64(metadata["eventOffset"]?.int64Value ?? 0),
                    eventType: metadata["eventType"]?.stringValue ?? "", attempts: attempts, errorKind: errorKind,
                    error: error, resolved: false)
                records[id] = DeadLetterRecord(
                    letter: letter, metadata: metadata.objectValue ?? [:], version: event.version)
            }
        } catch {
            throw .store(error)
        }
        return order.compactMap { records[$0] }
    }

    /// Delivers each unresolved dead letter of the organization once more (one attempt each). A success is
    /// recorded as `plugin_dead_letter_resolved`; a failure as another `plugin_dead_letter` on the letter's stream,
    /// with one attempt more and the new failure (``recordFailedRetry(_:_:failure:of:)``).
    ///
    /// A module refused before it could start (a missing or tampered artifact, a module the check refuses) is an
    /// attempt too: it is recorded as a failed execution with `moduleRefused`, as `plugin run` records one, and on
    /// the letter as any failure is; the other letters are still retried, and the result names the first refusal.
    /// - Returns: The dead letters after the retry, and the first refusal.
    /// - Throws: ``PlatformError/store(_:)`` when the store fails, or ``PlatformError/notFound(_:)`` for a plugin
    ///   that cannot run for another reason than a refused module (no `on_event` action, a release its registry no
    ///   longer lists), which stops the retry there.
    public func retryDeadLetters() async throws(PlatformError) -> DeadLetterRetry {
        let store = runtime.store
        let subscriptions = Dictionary(
            try subscriptions(deadLetters: [:]).map { ("\($0.organization)/\($0.plugin)", $0) },
            uniquingKeysWith: { a, _ in a })
        var result = DeadLetterRetry(letters: [], refusal: nil)
        for record in try Self.deadLetterRecords(store, organization: organization) {
            var letter = record.letter
            defer { result.letters.append(letter) }
            guard !letter.resolved, let subscription = subscriptions["\(letter.organization)/\(letter.plugin)"]
            else { continue }
            let event: RecordedEvent
            do {
                guard let found = try store.event(at: letter.eventOffset) else { continue }
                event = found
            } catch {
                throw .store(error)
            }
            let input = Self.input(event, subscription: subscription, attempt: letter.attempts + 1)
            let id = UUID().lowercasedString
            let trigger: JSONValue = [
                "kind": "dead-letter-retry", "eventOffset": .integer(event.offset), "deadLetter": .string(letter.id),
            ]
            var prepared: PluginRuntime.PreparedExecution
            do {
                prepared = try runtime.prepare(
                    letter.plugin, action: "on_event", organization: letter.organization, input: "{}",
                    limits: runtime.defaultLimits)
            } catch {
                // A module refused before it could start is an attempt too (any other error is thrown as it is).
                let refused = try await runtime.recordRefusal(
                    of: error, letter.plugin, action: "on_event", organization: letter.organization, input: input,
                    id: id, actorId: actorId, limits: runtime.defaultLimits, trigger: trigger)
                if let failure = refused.failure {
                    try await recordFailedRetry(&letter, record, failure: failure, of: refused)
                }
                if result.refusal == nil { result.refusal = error }
                continue
            }
            prepared.input = input
            let outcome = try await runtime.execute(
                prepared, id: id, actorId: actorId, limits: runtime.defaultLimits, cancellation: nil, trigger: trigger,
                streamVersion: 0, triggerDepth: PlatformPluginHost.cascadeDepth(of: event))
            if let failure = outcome.failure {
                try await recordFailedRetry(&letter, record, failure: failure, of: outcome)
            } else {
                _ = try await runtime.append(
                    NewEvent(
                        type: ExecutionEventType.deadLetterResolved, actorId: actorId, targetId: letter.id,
                        groupId: letter.organization, metadata: ["correlationId": .string(outcome.id)]))
                letter.resolved = true
            }
        }
        return result
    }

    /// Records that a retry of `letter` failed with `failure` in the execution `outcome`: another
    /// `plugin_dead_letter` on the letter's stream and in its group, with the latest record's metadata copied and
    /// `attempts` one more, `version` the version that ran, the failure's `errorKind` and `error`, and
    /// `correlationId` naming the retry's execution. `letter` is updated to match.
    ///
    /// The record is appended at the stream version `record` was read at. Another retry of the same letter running at
    /// the same time (a second `plugin dead-letters --retry`) may have recorded its own attempt first: this one is
    /// then counted after it (its `attempts` one more than that record's), and not recorded on the letter at all if
    /// the other retry resolved it (the event was handled; the failed execution stays in the audit trail).
    private func recordFailedRetry(
        _ letter: inout DeadLetter, _ record: DeadLetterRecord, failure: SandboxFailure, of outcome: ExecutionOutcome
    ) async throws(PlatformError) {
        var latest = record
        var conflict: AnnalsError?
        for _ in 0..<Self.recordAttempts {
            letter.attempts = latest.letter.attempts + 1
            letter.errorKind = failure.kind.rawValue
            letter.error = ExecutionEvents.recordable(failure.message)
            var metadata = latest.metadata
            metadata["attempts"] = .integer(letter.attempts)
            metadata["version"] = .string(outcome.version)
            metadata["errorKind"] = .string(letter.errorKind)
            metadata["error"] = .string(letter.error)
            metadata["correlationId"] = .string(outcome.id)
            do {
                _ = try await runtime.store.append(
                    NewEvent(
                        type: ExecutionEventType.deadLetter, actorId: actorId, targetId: letter.id,
                        groupId: letter.organization, metadata: .object(metadata), expectedVersion: latest.version))
                return
            } catch {
                guard case .versionConflict = error else { throw .store(error) }
                conflict = error
            }
            // Read again from the letter's own stream.
            var query = Self.deadLetterQuery
            query.targetId = letter.id
            guard let found = try Self.deadLetterRecords(runtime.store, matching: query).first else { return }
            if found.letter.resolved {
                letter = found.letter
                return
            }
            latest = found
        }
        // Other retries kept recording first: the last conflict names the letter's stream and versions.
        throw .store(conflict!)
    }

    /// How many times a failed retry is recorded again after another retry of the same letter recorded first.
    private static let recordAttempts = 16
}

/// A dead letter with the metadata of the latest `plugin_dead_letter` on its stream, and the stream's version.
struct DeadLetterRecord {
    /// The letter as listed.
    var letter: DeadLetter
    /// The metadata of the latest `plugin_dead_letter` on the letter's stream.
    var metadata: [String: JSONValue]
    /// The letter stream's version: its latest record's, a resolution included.
    var version: UInt64
}
