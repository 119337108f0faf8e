import Annals
import Foundation

extension PluginDispatcher {
    /// The dead letters of `organization` (every organization when `nil`), oldest first, with whether a later
    /// retry resolved each.
    public static func deadLetters(_ store: EventStore, organization: String? = nil) throws(PlatformError)
        -> [DeadLetter]
    {
        var query = EventQuery()
        query.types = [ExecutionEventType.deadLetter, ExecutionEventType.deadLetterResolved]
        query.groupId = organization
        var letters: [String: DeadLetter] = [:]
        var order: [String] = []
        do {
            for event in try store.events(query).collect() {
                guard let id = event.targetId else { continue }
                let metadata = event.metadata
                if event.type == ExecutionEventType.deadLetterResolved {
                    letters[id]?.resolved = true
                    continue
                }
                order.append(id)
                letters[id] = DeadLetter(
                    id: id, organization: event.groupId ?? "", plugin: metadata["plugin"]?.stringValue ?? "",
                    eventOffset: UInt64(metadata["eventOffset"]?.int64Value ?? 0),
                    eventType: metadata["eventType"]?.stringValue ?? "",
                    attempts: Int(metadata["attempts"]?.int64Value ?? 0),
                    errorKind: metadata["errorKind"]?.stringValue ?? "", error: metadata["error"]?.stringValue ?? "",
                    resolved: false)
            }
        } catch {
            throw .store(error)
        }
        return order.compactMap { letters[$0] }
    }

    /// Delivers each unresolved dead letter of the organization once more (one attempt each); a success is
    /// recorded as `plugin_dead_letter_resolved`.
    /// - Returns: The dead letters after the retry.
    public func retryDeadLetters() async throws(PlatformError) -> [DeadLetter] {
        let store = runtime.store
        let subscriptions = Dictionary(
            try subscriptions(deadLetters: [:]).map { ("\($0.organization)/\($0.plugin)", $0) },
            uniquingKeysWith: { a, _ in a })
        var result: [DeadLetter] = []
        for var letter in try Self.deadLetters(store, organization: organization) {
            defer { result.append(letter) }
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
                    letter.plugin, action: "on_event", organization: letter.organization, input: "{}")
            } catch {
                // A module refused before it could start is an attempt too: recorded as a failed execution, then
                // the retry stops (exit 2), as `plugin run --async` does.
                _ = try await runtime.recordRefusal(
                    of: error, letter.plugin, action: "on_event", organization: letter.organization, input: input,
                    id: id, actorId: actorId, limits: runtime.defaultLimits, trigger: trigger)
                throw error
            }
            prepared.input = input
            let outcome = try await runtime.execute(
                prepared, id: id, actorId: actorId, limits: runtime.defaultLimits, cancellation: nil, trigger: trigger,
                streamVersion: 0)
            if outcome.failure == nil {
                _ = try await runtime.append(
                    NewEvent(
                        type: ExecutionEventType.deadLetterResolved, actorId: actorId, targetId: letter.id,
                        groupId: letter.organization, metadata: ["correlationId": .string(outcome.id)]))
                letter.resolved = true
            } else {
                letter.errorKind = outcome.failure!.kind.rawValue
                letter.error = outcome.failure!.message
            }
        }
        return result
    }
}
