import Annals
import AnnalsSandbox
import Foundation

/// Delivers events to the plugins that subscribe to them: each plugin instance has a durable cursor, and each
/// matching event of its organization is handed to its `on_event` action in the sandbox.
///
/// Guarantees:
/// - **At least once.** The cursor moves only after the event was handled (or dead-lettered), in the same
///   transaction as the outcome, so a host that stops mid-way delivers the event again after a restart; nothing
///   is missed. The input carries `delivery.idempotencyKey` (the same for every attempt at one event) for the
///   plugin to recognise a repeat.
/// - **A cursor reset is kept.** Every acknowledgement of a pass is conditional on the cursor's resets count as the
///   pass read it: an `annals cursors reset` or `delete` during the pass ends that subscription's pass (its outcomes
///   recorded, the cursor left as set, the change reported under ``Report/problems``) instead of being undone.
/// - **Retries, then a dead letter.** A failed delivery is retried with exponential backoff up to
///   ``maxAttempts`` times; then a `plugin_dead_letter` event records it and delivery moves on.
/// - **Cancellation stops a pass early, losing nothing.** A pass whose task is cancelled (``runOnce()``, or
///   ``run(pollInterval:)``) ends at its next batch or subscription, and at once when a failed event waits for its
///   retry: that event is neither tried again nor dead-lettered, its cursor stays before it, and the next pass
///   delivers it again from its first attempt. A handler already running is not interrupted (its limits bound it).
/// - **Isolation.** A plugin sees only its organization's events; the platform's own execution events and the
///   events the plugin appended itself are never delivered to it (no feedback loops).
/// - **A cascade limit.** Plugins feeding each other events stop after ``PluginRuntime/cascadeLimit`` hops: each
///   event a plugin appends records its depth (in `metadata.plugin.depth`, one more than its trigger's),
///   and an append deeper than the limit is refused, which fails the delivery (retried, then dead-lettered).
/// - **A refused module holds its events.** A plugin whose module is refused before it can start (a missing or
///   tampered artifact, a module the check refuses) is recorded as a failed execution with `moduleRefused`, as
///   `PluginRuntime.run` records it, once per waiting event however many passes find it refused; the event is not
///   consumed or dead-lettered, and delivery resumes at it once the artifact is fixed.
///
/// - **One dispatcher at a time.** Two dispatchers of the same subscriptions (in one process or two) would each
///   deliver every event; the second refuses to start with ``PlatformError/dispatcherRunning(_:)``
///   (``reserve()``). So does a pass of one dispatcher (or a copy of it) started while another of its passes runs.
///   Dispatchers of different organizations run side by side.
///
/// Deliveries are recorded in batches: one `plugin_action_initiated` per event appended before the batch runs, then
/// the outcomes and the cursor together, which keeps dispatch fast (see docs/PERFORMANCE.md). A failed event is retried
/// and dead-lettered where it stands, and the rest of its batch then runs under the starts already recorded: each
/// event is started once, however many of its batch fail.
public struct PluginDispatcher: Sendable {
    /// The runtime that executes the handlers.
    public let runtime: PluginRuntime
    /// Only this organization's subscriptions, or every organization's.
    public var organization: String? {
        didSet { exclusivity = DispatchExclusivity(storePath: runtime.store.path, organization: organization) }
    }
    /// Attempts per event before it is dead-lettered.
    public var maxAttempts: Int
    /// The delay before the first retry; it doubles for each further one (capped at 30 s).
    public var backoff: Duration
    /// Events per recorded batch, at most: a batch also ends once its events come to about 16 MiB decoded.
    public var batchSize: Int
    /// The actor of the audit events.
    public var actorId: String
    /// Whether the path to the log's head and each batch's pages are checked before they are read
    /// (`EventStore.checkLogPages(offsets:)`, `checkLogPages(for:)`), for a store that may be damaged: a damaged page
    /// then fails the pass with `.store` instead of crashing the process inside LMDB. The views and cursors a pass
    /// reads are not checked; check them once before dispatching. Off by default.
    public var checksPages: Bool
    /// The locks that keep another dispatcher of the same subscriptions from running alongside this one.
    private var exclusivity: DispatchExclusivity

    /// A dispatcher.
    public init(
        runtime: PluginRuntime, organization: String? = nil, maxAttempts: Int = 5,
        backoff: Duration = .milliseconds(100),
        batchSize: Int = 1_024, actorId: String = "dispatcher", checksPages: Bool = false
    ) {
        self.runtime = runtime
        self.organization = organization
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
        self.batchSize = max(1, batchSize)
        self.actorId = actorId
        self.checksPages = checksPages
        exclusivity = DispatchExclusivity(storePath: runtime.store.path, organization: organization)
    }

    /// A hold on this dispatcher's subscriptions: while it lasts, no other dispatcher of them runs (in any process),
    /// and this one's passes run without taking the locks again. Released by ``release()``, or when it is
    /// deinitialized.
    public final class Reservation: @unchecked Sendable {
        private let exclusivity: DispatchExclusivity
        private let released = NSLock()
        private var isReleased = false

        fileprivate init(_ exclusivity: DispatchExclusivity) { self.exclusivity = exclusivity }

        /// Lets other dispatchers of these subscriptions run again (once; later calls do nothing).
        public func release() {
            let first = released.withLock { () -> Bool in
                defer { isReleased = true }
                return !isReleased
            }
            if first { exclusivity.release() }
        }

        deinit { release() }
    }

    /// Reserves this dispatcher's subscriptions for a run of passes (`plugin dispatch --follow` holds one while it
    /// runs): a pass (``runOnce()``, ``run(pollInterval:)``) takes the same reservation for its own length.
    /// - Throws: ``PlatformError/dispatcherRunning(_:)`` when another dispatcher of the same subscriptions runs: one
    ///   of every organization, or of this one (dispatchers of two organizations run side by side);
    ///   ``PlatformError/store(_:)`` when a lock file beside the store cannot be opened.
    public func reserve() throws(PlatformError) -> Reservation {
        try exclusivity.acquire()
        return Reservation(exclusivity)
    }

    /// What one pass delivered.
    public struct Report: Sendable, Hashable {
        /// Events handled successfully.
        public var delivered = 0
        /// Attempts that failed and were retried.
        public var retried = 0
        /// Events dead-lettered.
        public var deadLettered = 0
        /// Subscriptions that could not be served this pass (their plugin cannot run: no artifact, a tampered one,
        /// no `on_event` action), each with why; their events wait, undelivered, for a later pass. A refused module
        /// is also recorded as a failed execution (`moduleRefused`) of the first waiting event, once per event; the
        /// problem names that execution and the event's offset.
        public var problems: [String] = []

        /// An empty report.
        public init() {}

        /// `{"delivered":N,"retried":N,"deadLettered":N}`.
        public var json: JSONValue {
            [
                "delivered": .integer(delivered), "retried": .integer(retried), "deadLettered": .integer(deadLettered),
                "problems": .array(problems.map(JSONValue.string)),
            ]
        }
    }

    /// The subscriptions of the organization (or of all), each with its unresolved dead letters (one scan of them
    /// for the whole list).
    public func subscriptions() throws(PlatformError) -> [PluginSubscription] {
        var unresolved: [String: Int] = [:]
        for letter in try Self.deadLetters(runtime.store, organization: organization) where !letter.resolved {
            unresolved["\(letter.organization)/\(letter.plugin)", default: 0] += 1
        }
        return try subscriptions(deadLetters: unresolved)
    }

    /// Whether any plugin of the dispatcher's organizations (or of all) subscribes to events; reads the
    /// subscriptions without ``subscriptions()``'s scan of the dead letters.
    /// - Throws: ``PlatformError/store(_:)`` when the store fails.
    public func hasSubscriptions() throws(PlatformError) -> Bool {
        !(try subscriptions(deadLetters: [:]).isEmpty)
    }

    /// The subscriptions, with dead-letter counts taken from `deadLetters` (by `ORG/PLUGIN`); delivery passes
    /// give none, so a pass never scans the dead letters.
    func subscriptions(deadLetters: [String: Int]) throws(PlatformError) -> [PluginSubscription] {
        let store = runtime.store
        let platform = PluginPlatform(store: store)
        return try platform.view { view in
            var result: [PluginSubscription] = []
            let edges = try view.connections(
                ConnectionFilter(connectionType: PlatformIDs.subscribesTo, groupId: organization, limit: .max))
            var patterns: [String: [String: UInt64]] = [:]
            for edge in edges {
                let pattern = edge.properties["pattern"]?.stringValue ?? ""
                patterns[edge.fromId, default: [:]][pattern] = edge.stamp.createdOffset
            }
            for (installId, starts) in patterns.sorted(by: { $0.key < $1.key }) {
                guard let thing = try view.thing(installId), let install = PluginInstall(thing) else { continue }
                let cursor = PluginSubscription.cursorName(organization: install.organization, plugin: install.name)
                // Delivery starts at the install: a cursor left by an earlier install of the name (removed since, by
                // a rollback or an update that dropped it) is behind it, and the events in between predate this one.
                let position = max(try store.cursor(named: cursor)?.offset ?? 0, install.installedOffset)
                result.append(
                    PluginSubscription(
                        organization: install.organization, plugin: install.name,
                        version: install.version.description, patterns: starts.keys.sorted(),
                        subscribedOffsets: starts, cursor: cursor,
                        installedOffset: install.installedOffset, position: position,
                        deadLetters: deadLetters["\(install.organization)/\(install.name)", default: 0]))
            }
            return result
        }
    }

    /// Delivers every pending event (up to the log head as of the call) to every subscription. A dispatcher of one
    /// organization with no subscriptions, outside a reservation, delivers nothing and creates no lock file for it.
    /// - Throws: ``PlatformError/dispatcherRunning(_:)`` when another dispatcher of the same subscriptions is running
    ///   (``reserve()``), or another pass of this one or of a copy of it; ``PlatformError/store(_:)`` when the store
    ///   fails.
    public func runOnce() async throws(PlatformError) -> Report {
        // An organization's lock guards its subscriptions: with none, a pass outside a reservation delivers nothing
        // and does not create the lock file (a mistyped organization would leave one behind).
        if organization != nil, !exclusivity.isHeld, try !hasSubscriptions() {
            try exclusivity.checkNoOtherDispatcher()
            return Report()
        }
        let reservation = try reserve()
        defer { reservation.release() }
        try exclusivity.beginPass()
        defer { exclusivity.endPass() }
        var report = Report()
        for subscription in try subscriptions(deadLetters: [:]) where !Task.isCancelled {
            do {
                try await deliver(subscription, report: &report)
            } catch {
                guard case .store = error else {
                    report.problems.append("\(subscription.organization)/\(subscription.plugin): \(error)")
                    continue
                }
                throw error
            }
        }
        return report
    }

    /// Delivers pending events, then keeps delivering new ones as they are committed, until the task is
    /// cancelled. The subscriptions are re-read on every pass, so new installs are picked up.
    public func run(pollInterval: Duration = .milliseconds(20)) async throws(PlatformError) {
        let reservation = try reserve()
        defer { reservation.release() }
        while !Task.isCancelled {
            let head = try headOffset()
            let report = try await runOnce()
            if report.delivered + report.deadLettered == 0, try headOffset() == head {
                try? await Task.sleep(for: pollInterval)
            }
        }
    }

    /// How far events may be delivered: the durable offset, as for every subscriber, so that a plugin never reacts to
    /// an event a crash could still take back (with `.noSync` or `.noMetaSync` durability, the committed head runs
    /// ahead of it until the next sync).
    private func headOffset() throws(PlatformError) -> UInt64 {
        do {
            if checksPages { try runtime.store.checkLogPages(offsets: []) }
            return try runtime.store.head().durableOffset
        } catch {
            throw .store(error)
        }
    }

    /// Delivers the pending events of one subscription.
    private func deliver(_ subscription: PluginSubscription, report: inout Report) async throws(PlatformError) {
        let head = try headOffset()
        guard subscription.position < head else { return }
        let filter = EventFilter(types: subscription.patterns, groupId: subscription.organization)
        let prepared: PluginRuntime.PreparedExecution
        do {
            prepared = try runtime.prepare(
                subscription.plugin, action: "on_event", organization: subscription.organization, input: "{}",
                limits: runtime.defaultLimits)
        } catch {
            try await recordRefusal(of: error, subscription, filter, through: head, report: &report)
            return
        }
        // The cursor as this pass starts from it (created when missing): every acknowledgement below is conditional
        // on its resets count, so an `annals cursors reset` or `delete` made during the pass is kept, and ends the
        // subscription's pass, instead of being undone by the next acknowledgement (which only moves forward).
        let start = try startCursor(subscription)
        let resets = start.resets
        var position = max(start.offset, subscription.installedOffset)
        while position < head, !Task.isCancelled {
            let events = try batch(filter, after: position, through: head)
            guard let last = events.last else {
                _ = try acknowledge(subscription, through: head, expectingResets: resets, report: &report)
                return
            }
            let deliverable = Self.deliverable(events, filter, subscription)
            guard
                try await deliverBatch(
                    deliverable, through: last.offset, after: position, subscription, prepared: prepared,
                    expectingResets: resets, report: &report)
            else { return }
            position = last.offset
        }
    }

    /// Delivers the events of one batch, which ends at offset `last`, to `subscription`: appends a
    /// `plugin_action_initiated` for each of `deliverable` first, runs them in order on one thread, and records their
    /// outcomes with the cursor. A failure stops the run there: the outcomes so far are recorded with the cursor
    /// through the event before it, the failed event is retried, then dead-lettered (`retry`), and the run goes on
    /// with the next event, under the start already recorded for it. Once every event is done the cursor is
    /// acknowledged through `last` (with the outcomes since the last failure), so each event is started once, and
    /// a batch costs one append of starts, one of outcomes, and one more for each failure.
    ///
    /// When the cursor was reset or deleted since it had `resets` resets (an acknowledgement is refused), or the task
    /// is cancelled while a failed event waits for its retry, the pass of this subscription ends: the starts of the
    /// events not run yet get a `plugin_action_abandoned` outcome each, and the next pass delivers from the cursor as
    /// it was set (or left: before the failed event).
    /// - Returns: Whether the cursor was acknowledged through `last` (`false`: the pass of this subscription ends).
    private func deliverBatch(
        _ deliverable: [RecordedEvent], through last: UInt64, after position: UInt64,
        _ subscription: PluginSubscription, prepared: PluginRuntime.PreparedExecution, expectingResets resets: UInt64,
        report: inout Report
    ) async throws(PlatformError) -> Bool {
        var prepared = prepared
        let ids = deliverable.map { _ in UUID().lowercasedString }
        var starts: [NewEvent] = []
        var runs: [(id: String, input: [UInt8], triggerDepth: Int)] = []
        for (event, id) in zip(deliverable, ids) {
            prepared.input = Self.input(event, subscription: subscription, attempt: 1)
            runs.append((id: id, input: prepared.input, triggerDepth: PlatformPluginHost.cascadeDepth(of: event)))
            starts.append(
                runtime.initiatedEvent(
                    prepared, id: id, actorId: actorId, limits: runtime.defaultLimits,
                    trigger: Self.trigger(event, subscription, attempt: 1), streamVersion: 0))
        }
        _ = try await appendBatch(starts)
        var position = position
        var next = 0
        var outcomes: [NewEvent] = []
        while next < runs.count {
            let ran = await runtime.invokeAll(prepared, Array(runs[next...]), limits: runtime.defaultLimits)
            outcomes = ran.map { runtime.outcomeEvent($0, actorId: actorId, streamVersion: 1) }
            guard let failure = ran.last?.failure else {
                report.delivered += ran.count
                break
            }
            report.delivered += ran.count - 1
            let failed = next + ran.count - 1
            let event = deliverable[failed]
            // Everything before the failed event is done; the failed attempt's outcome is recorded with it.
            let acknowledged = try await appendBatch(
                outcomes, acknowledging: subscription, through: max(event.offset - 1, position),
                expectingResets: resets, report: &report)
            guard
                acknowledged,
                try await retry(
                    event, subscription, prepared: prepared, after: failure, expectingResets: resets, report: &report)
            else {
                try await abandon(
                    ids[(failed + 1)...], subscription, reason: Task.isCancelled ? Self.cancelled : Self.notRun)
                return false
            }
            outcomes = []
            position = event.offset
            next = failed + 1
        }
        // The batch's last event failed and was acknowledged with its dead letter or retry: nothing is left to record.
        guard !outcomes.isEmpty || position < last else { return true }
        return try await appendBatch(
            outcomes, acknowledging: subscription, through: last, expectingResets: resets, report: &report)
    }

    /// Records a `plugin_action_abandoned` outcome for each of the executions `ids` of `subscription`, started with
    /// their batch and not run, because its pass ended (`reason`): the cursor was reset or deleted during it, or the
    /// pass was cancelled.
    private func abandon(
        _ ids: ArraySlice<String>, _ subscription: PluginSubscription, reason: String
    ) async throws(PlatformError) {
        let outcomes = ids.map { id in
            NewEvent(
                type: ExecutionEventType.abandoned, actorId: actorId, targetId: ExecutionEventType.stream(id),
                groupId: subscription.organization,
                metadata: [
                    "correlationId": .string(id), "plugin": .string(subscription.plugin), "action": "on_event",
                    "reason": .string(reason),
                ],
                expectedVersion: 1)
        }
        _ = try await appendBatch(outcomes)
    }

    /// Why an execution started with its batch was abandoned without running: its cursor changed.
    private static let notRun =
        "not run: the cursor was reset or deleted during the pass, which ended it; the next pass delivers from the "
        + "cursor as it was set"

    /// Why an execution started with its batch was abandoned without running: the pass was cancelled.
    private static let cancelled =
        "not run: the pass was cancelled while an earlier event of its batch waited for a retry; the next pass "
        + "delivers from that event"

    /// The events of `filter` after `position` through `head`, at most ``batchSize`` of them and about 16 MiB
    /// decoded (`EventSequence.collectBounded()`: a batch of large events that compress well holds that much, not
    /// ``batchSize`` such events), but at least one when there is one (their pages checked first when
    /// ``checksPages``).
    private func batch(
        _ filter: EventFilter, after position: UInt64, through head: UInt64
    ) throws(PlatformError) -> [RecordedEvent] {
        var query = filter.query(after: position, through: head)
        query.limit = batchSize
        do {
            if checksPages { try runtime.store.checkLogPages(for: query) }
            return try runtime.store.events(query).collectBounded()
        } catch {
            throw .store(error)
        }
    }

    /// The events of a batch that are delivered to `subscription`. The platform's own events (executions, jobs,
    /// dead letters, and whatever is on its streams: installs, other plugins' key/value state) never are, as
    /// events_read never returns them, and neither are the plugin's own appends. An event is delivered only under a
    /// pattern whose subscription began before it (``PluginSubscription/subscribedOffsets``).
    private static func deliverable(
        _ events: [RecordedEvent], _ filter: EventFilter, _ subscription: PluginSubscription
    ) -> [RecordedEvent] {
        let ownActor = "plugin:\(subscription.plugin)"
        // After the newest pattern's start (nearly always), every pattern applies and `filter` has said it all.
        let everyPatternFrom = subscription.subscribedOffsets.values.max() ?? 0
        return events.filter { event in
            guard filter.matches(event),
                !PlatformPluginHost.isPlatformEvent(type: event.type, targetId: event.targetId),
                event.actorId != ownActor
            else { return false }
            if event.offset > everyPatternFrom { return true }
            let subscribed = subscription.patterns.filter {
                subscription.subscribedOffsets[$0, default: 0] < event.offset
            }
            return !subscribed.isEmpty && EventFilter(types: subscribed).matches(event)
        }
    }

    /// Records that `subscription`'s module was refused before it could start (`error` is
    /// ``PlatformError/moduleRefused(plugin:version:reason:)``; any other is thrown as it is) and reports it under
    /// ``Report/problems``. The attempt at the first event waiting for delivery is recorded as a failed execution
    /// with `moduleRefused`, as `run` records one (``PluginRuntime/recordRefusal``), under an id derived from the
    /// attempt (``refusalID(_:_:version:)``): a later pass that finds the module refused at the same event records
    /// nothing more. The cursor does not move: once the artifact is fixed, delivery resumes at that event.
    private func recordRefusal(
        of error: PlatformError, _ subscription: PluginSubscription, _ filter: EventFilter, through head: UInt64,
        report: inout Report
    ) async throws(PlatformError) {
        guard case .moduleRefused(_, let version, _) = error else { throw error }
        var problem = "\(subscription.organization)/\(subscription.plugin): \(error)"
        var position = subscription.position
        while position < head {
            let events = try batch(filter, after: position, through: head)
            guard let last = events.last else { break }
            guard let event = Self.deliverable(events, filter, subscription).first else {
                position = last.offset
                continue
            }
            let id = Self.refusalID(event, subscription, version: version)
            _ = try await runtime.recordRefusal(
                of: error, subscription.plugin, action: "on_event", organization: subscription.organization,
                input: Self.input(event, subscription: subscription, attempt: 1), id: id, actorId: actorId,
                limits: runtime.defaultLimits, trigger: Self.trigger(event, subscription, attempt: 1), idempotent: true)
            problem += " (recorded as the failed execution \(id); the event at offset \(event.offset) waits)"
            break
        }
        report.problems.append(problem)
    }

    /// The id of the execution that records `subscription`'s module, of `version`, refused when `event` was to be
    /// delivered: a name-based UUID (`UUID(naming:)`) of the organization, plugin, version, cursor and event
    /// offset, the same for every pass that finds the module refused there, and unlike the random ids of other
    /// executions.
    static func refusalID(_ event: RecordedEvent, _ subscription: PluginSubscription, version: String) -> String {
        UUID(
            naming: [
                "dispatch-refusal", subscription.organization, subscription.plugin, version, subscription.cursor,
                String(event.offset),
            ]
        ).lowercasedString
    }

    /// Delivers one event again with backoff until it succeeds or runs out of attempts (then dead-letters it with
    /// the last failure, `firstFailure` when there was no other attempt); the cursor moves past it either way, unless
    /// it was reset or deleted since it had `resets` resets.
    /// - Returns: Whether the cursor moved past the event (`false`: it was reset or deleted, or the task was
    ///   cancelled while it waited for the next attempt; the pass of this subscription ends there).
    private func retry(
        _ event: RecordedEvent, _ subscription: PluginSubscription, prepared: PluginRuntime.PreparedExecution,
        after firstFailure: SandboxFailure, expectingResets resets: UInt64, report: inout Report
    ) async throws(PlatformError) -> Bool {
        var prepared = prepared
        var lastFailure = firstFailure
        for attempt in 2...max(2, maxAttempts) where attempt <= maxAttempts {
            let delay = min(backoff * (1 << min(attempt - 2, 20)), .seconds(30))
            do {
                try await Task.sleep(for: delay)
            } catch {
                // Cancelled while it waited: the event is neither tried again nor dead-lettered. Its cursor stays
                // before it, and the next pass delivers it from its first attempt.
                return false
            }
            report.retried += 1
            prepared.input = Self.input(event, subscription: subscription, attempt: attempt)
            let outcome = try await runtime.execute(
                prepared, id: UUID().lowercasedString, actorId: actorId, limits: runtime.defaultLimits,
                cancellation: nil, trigger: Self.trigger(event, subscription, attempt: attempt), streamVersion: 0,
                triggerDepth: PlatformPluginHost.cascadeDepth(of: event))
            guard let failure = outcome.failure else {
                report.delivered += 1
                return try acknowledge(subscription, through: event.offset, expectingResets: resets, report: &report)
            }
            lastFailure = failure
        }
        let letter = NewEvent(
            type: ExecutionEventType.deadLetter, actorId: actorId,
            targetId: "dead-letter:\(subscription.organization):\(subscription.plugin):\(event.offset)",
            groupId: subscription.organization,
            metadata: [
                "plugin": .string(subscription.plugin), "version": .string(subscription.version),
                "eventOffset": .integer(event.offset), "eventId": .string(event.id.lowercasedString),
                "eventType": .string(event.type), "attempts": .integer(maxAttempts),
                "errorKind": .string(lastFailure.kind.rawValue),
                "error": .string(ExecutionEvents.recordable(lastFailure.message)),
                "idempotencyKey": .string(Self.idempotencyKey(event, subscription)),
            ])
        report.deadLettered += 1
        return try await appendBatch(
            [letter], acknowledging: subscription, through: event.offset, expectingResets: resets, report: &report)
    }

    /// The handler's input: the event as JSON with `delivery: {idempotencyKey, attempt}` added.
    static func input(_ event: RecordedEvent, subscription: PluginSubscription, attempt: Int) -> [UInt8] {
        var json: [UInt8] = []
        event.appendJSON(to: &json)
        guard json.last == UInt8(ascii: "}") else { return json }
        json.removeLast()
        json += Array(",\"delivery\":{\"idempotencyKey\":\"\(idempotencyKey(event, subscription))\",".utf8)
        json += Array("\"attempt\":\(attempt)}}".utf8)
        return json
    }

    /// The same for every attempt at one event for one plugin instance.
    static func idempotencyKey(_ event: RecordedEvent, _ subscription: PluginSubscription) -> String {
        "\(subscription.cursor)@\(event.id.lowercasedString)"
    }

    private static func trigger(_ event: RecordedEvent, _ subscription: PluginSubscription, attempt: Int) -> JSONValue {
        [
            "kind": "event", "eventOffset": .integer(event.offset), "eventType": .string(event.type),
            "idempotencyKey": .string(idempotencyKey(event, subscription)), "attempt": .integer(attempt),
            "depth": .integer(PlatformPluginHost.cascadeDepth(of: event)),
        ]
    }

    /// Appends `events` (none: nothing).
    private func appendBatch(_ events: [NewEvent]) async throws(PlatformError) -> [AppendReceipt] {
        guard !events.isEmpty else { return [] }
        do {
            return try await runtime.store.append(contentsOf: events)
        } catch {
            throw .store(error)
        }
    }

    /// Appends `events` and acknowledges `subscription`'s cursor through `offset` in one transaction, unless the
    /// cursor was reset or deleted since it had `resets` resets: then `events` (the outcomes of executions that ran)
    /// are appended alone, the change is reported under ``Report/problems``, and the cursor is left as it was set.
    /// - Returns: Whether the cursor was acknowledged.
    private func appendBatch(
        _ events: [NewEvent], acknowledging subscription: PluginSubscription, through offset: UInt64,
        expectingResets resets: UInt64, report: inout Report
    ) async throws(PlatformError) -> Bool {
        do {
            _ = try await runtime.store.append(
                contentsOf: events, acknowledging: subscription.cursor, through: offset, expectingResets: resets)
            return true
        } catch AnnalsError.cursorMoved {
            _ = try await appendBatch(events)
            report.problems.append(Self.cursorMoved(subscription))
            return false
        } catch {
            throw .store(error)
        }
    }

    /// Acknowledges `subscription`'s cursor through `offset`, unless it was reset or deleted since it had `resets`
    /// resets: then the change is reported under ``Report/problems`` and the cursor is left as it was set.
    /// - Returns: Whether the cursor was acknowledged.
    private func acknowledge(
        _ subscription: PluginSubscription, through offset: UInt64, expectingResets resets: UInt64,
        report: inout Report
    ) throws(PlatformError) -> Bool {
        do {
            try runtime.store.acknowledge(subscription.cursor, through: offset, expectingResets: resets)
            return true
        } catch AnnalsError.cursorMoved {
            report.problems.append(Self.cursorMoved(subscription))
            return false
        } catch {
            throw .store(error)
        }
    }

    /// `subscription`'s cursor as a pass starts from it: created at the subscription's position when missing (so that
    /// its acknowledgements can be conditional on its resets count), or as stored, reset since the subscriptions were
    /// read included.
    private func startCursor(_ subscription: PluginSubscription) throws(PlatformError) -> SubscriberCursor {
        do {
            return try runtime.store.createCursor(subscription.cursor, at: subscription.position)
        } catch {
            throw .store(error)
        }
    }

    /// The problem reported when a subscription's cursor was reset or deleted during a pass.
    private static func cursorMoved(_ subscription: PluginSubscription) -> String {
        "\(subscription.organization)/\(subscription.plugin): its cursor \(subscription.cursor) was reset or deleted "
            + "during the pass; the change is kept, and the next pass delivers from it"
    }
}
