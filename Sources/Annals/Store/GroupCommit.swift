import Foundation
import LMDB

/// Applies a group of batches in one write transaction: validation against the store (ids, versions), then
/// records, id index and posting lists. Runs on the writer thread only.
///
/// Each batch is all or nothing: a batch that fails its checks is left out and the others still commit.
/// Everything is derived from the transaction it runs in, so a retry after the map grew starts clean.
struct GroupCommit {
    let schema: StoreSchema
    let identity: EventIdentity
    let registry: DictionaryRegistry
    let encoder: RecordEncoder
    let maximumEventSize: Int
    let projections: ProjectionCatalog
    /// The head this writer last extended the chain to, whose hash in `meta` needs no recomputation while it is
    /// still the head.
    let extendedHead = ExtendedHead()

    /// The last `(offset, hash)` a group of this writer wrote to `meta`; written and read on the writer thread only.
    final class ExtendedHead {
        var offset: UInt64 = 0
        var hash: ChainHash?
    }

    /// The outcome of one group.
    struct Outcome {
        var results: [Result<[AppendReceipt], AnnalsError>]
        var head: UInt64
        var appended: Int
        /// The views this process's projections keep that were behind the log when the group began (another
        /// process appended without their projection): the group did not apply them.
        var behind: [LaggingView] = []
        /// The batches (by their index in the group) that hold an event a projection whose view is behind may reject
        /// (``ViewsNotLive``): not appended, and not yet completed (their ``results`` entry is a placeholder). The
        /// writer hands them to ``ViewCatchUp``, which submits them again once the view is caught up.
        var waiting: [(request: Int, behind: ViewLeftBehind)] = []
    }

    /// An event that passed its checks, with what was assigned to it. The event stays in its request: copying a
    /// prepared event retains each of its strings and its metadata, and a group's events were copied several times.
    private struct Accepted {
        let request: AppendRequest
        let index: Int
        let offset: UInt64
        let version: UInt64
        let payload: [UInt8]

        var prepared: PreparedEvent { request.events[index] }
    }

    func apply(_ requests: [AppendRequest], _ txn: borrowing Transaction) throws -> Outcome {
        var (head, hash) = try chainHead(txn)
        var nextOffset = head + 1
        var pendingIDs: [UUID: AppendReceipt] = [:]
        var pendingVersions: [String: UInt64] = [:]
        var accepted: [Accepted] = []
        var results: [Result<[AppendReceipt], AnnalsError>] = []
        results.reserveCapacity(requests.count)
        var acknowledgements: [CursorAcknowledgement] = []
        let projectionStates = try projections.live(at: head, txn.handle)
        var live = projectionStates.live
        let behind = projectionStates.behind
        let notLive = ViewsNotLive(
            behind: behind, outdated: projectionStates.outdated, head: head, catalog: projections)
        var waiting: [(request: Int, behind: ViewLeftBehind)] = []

        for request in requests {
            var localIDs: [UUID: AppendReceipt] = [:]
            var localVersions: [String: UInt64] = [:]
            var localAccepted: [Accepted] = []
            var receipts: [AppendReceipt] = []
            receipts.reserveCapacity(request.events.count)
            var offset = nextOffset
            // The live projections see each event right after its own checks, so a batch fails at its first bad
            // event whatever the rule it breaks; created at the first event they handle.
            var projector: BatchProjector?
            do {
                // A retry of a conditional batch that was appended already (every event's client id is in the log)
                // gets its original receipts, as any retry does: its own events must not count as a conflict.
                if let condition = request.condition,
                    try !request.events.allSatisfy({ event in
                        try event.event.id.flatMap { try pendingIDs[$0] ?? lookup($0, head: head, txn) } != nil
                    }),
                    let conflict = try firstConflict(condition, pending: { accepted.map(projected) }, txn)
                {
                    throw AnnalsError.conflictingAppend(offset: conflict, plannedAt: condition.plannedAt)
                }
                for index in request.events.indices {
                    let id = request.events[index].event.id
                    if let id {
                        if identity.isReserved(id) {
                            throw AnnalsError.invalidEvent(
                                index: index, field: "id",
                                reason: "falls in this store's namespace of assigned ids; use a random UUID")
                        }
                        if let original = try localIDs[id] ?? pendingIDs[id] ?? lookup(id, head: head, txn) {
                            var duplicate = original
                            duplicate.duplicate = true
                            receipts.append(duplicate)
                            continue
                        }
                    }
                    var version: UInt64 = 0
                    if let target = request.events[index].event.targetId {
                        let current =
                            try localVersions[target] ?? pendingVersions[target] ?? streamVersion(target, txn)
                        if let expected = request.events[index].event.expectedVersion, expected != current {
                            throw AnnalsError.versionConflict(
                                index: index, targetId: target, expected: expected, actual: current)
                        }
                        version = current + 1
                        localVersions[target] = version
                    }
                    let payload = Envelope.encoded(request.events[index], version: version)
                    if payload.count > maximumEventSize {
                        throw AnnalsError.eventTooLarge(index: index, size: payload.count, limit: maximumEventSize)
                    }
                    let receipt = AppendReceipt(
                        offset: offset, id: id ?? identity.assignedID(offset: offset), version: version)
                    if let id { localIDs[id] = receipt }
                    let item = Accepted(
                        request: request, index: index, offset: offset, version: version, payload: payload)
                    let type = request.events[index].event.type
                    if !notLive.isEmpty { try notLive.check(type, index: index) }
                    if live.contains(where: { $0.entry.projection.handles(eventType: type) }) {
                        if projector == nil { projector = BatchProjector(live, catalog: projections, txn.handle) }
                        try projector!.apply(projected(item), index: index)
                    }
                    localAccepted.append(item)
                    receipts.append(receipt)
                    offset += 1
                }
                try request.acknowledgement?.check(head: offset - 1)
                // A conditional acknowledgement whose cursor was reset fails its batch alone, as any check does.
                try request.acknowledgement?.checkResets(schema, txn)
            } catch let error as AnnalsError {
                // The batch fails alone: its projection changes are undone.
                try projector?.undo()
                results.append(.failure(error))
                continue
            } catch let behind as ViewLeftBehind {
                // The batch waits for the view's catch-up, and is submitted again (``ViewCatchUp``).
                try projector?.undo()
                waiting.append((results.count, behind))
                results.append(.failure(behind.unavailable(advice: "the append waits for its catch-up")))
                continue
            }
            pendingIDs.merge(localIDs) { _, new in new }
            pendingVersions.merge(localVersions) { _, new in new }
            accepted.append(contentsOf: localAccepted)
            nextOffset = offset
            results.append(.success(receipts))
            if let acknowledgement = request.acknowledgement { acknowledgements.append(acknowledgement) }
        }

        for acknowledgement in acknowledgements { try acknowledgement.write(schema, txn) }
        guard !accepted.isEmpty else {
            return Outcome(results: results, head: head, appended: 0, behind: behind, waiting: waiting)
        }
        let dictionary = try registry.current(txn)
        var postings = CommitPostings()
        var payloadBytes: UInt64 = 0
        var recordBytes: UInt64 = 0
        let encoded = try encoder.encode(
            accepted.map(\.payload), offsets: accepted.map(\.offset), dictionary: dictionary)
        try txn.withCursor(schema.events) { cursor in
            for (item, record) in zip(accepted, encoded) {
                var value = record.value
                hash = item.payload.withUnsafeBytes { payload in hash.next(offset: item.offset, payload: payload) }
                let header = RecordHeader.forRecord(
                    at: item.offset, codec: record.codec,
                    dictionaryID: record.codec == .zstdDictionary ? dictionary!.id : 0, checksum: record.checksum,
                    hash: hash)
                value.withUnsafeMutableBytes { header.write(to: $0) }
                try withUnsafeBytes(of: item.offset.bigEndian) { k in
                    try value.withUnsafeBytes { v in try cursor.put(key: k, value: v, flags: .append) }
                }
                payloadBytes += UInt64(item.payload.count)
                recordBytes += UInt64(value.count)
                // Field by field: passing the event, or binding it, would copy it (retaining each of its parts).
                let events = item.request.events
                if let id = events[item.index].event.id {
                    try txn.put(
                        schema.ids, key: id.bytes, value: item.offset.bigEndianBytes + item.version.bigEndianBytes,
                        flags: .noOverwrite)
                }
                postings.add(
                    type: events[item.index].event.type, actorId: events[item.index].event.actorId,
                    targetId: events[item.index].event.targetId, groupId: events[item.index].event.groupId,
                    timestamp: events[item.index].timestamp, offset: item.offset)
            }
        }
        try schema.delta.append(txn, firstOffset: accepted[0].offset, postings: postings)
        for (target, version) in pendingVersions {
            try txn.put(schema.streams, key: Array(target.utf8), value: version.bigEndianBytes)
        }
        try txn.setMetaU64(
            schema, MetaKey.payloadBytes, (try txn.metaU64(schema, MetaKey.payloadBytes) ?? 0) + payloadBytes)
        try txn.setMetaU64(
            schema, MetaKey.recordBytes, (try txn.metaU64(schema, MetaKey.recordBytes) ?? 0) + recordBytes)
        try txn.put(schema.meta, key: MetaKey.chainHead, value: hash.bytes)
        head = nextOffset - 1
        // If this transaction is not committed, `meta` will not hold this pair, and the next group rechecks.
        (extendedHead.offset, extendedHead.hash) = (head, hash)
        for index in live.indices {
            live[index].state.checkpoint = head
            try projections.setState(live[index].state, of: live[index].entry.name, txn.handle)
        }
        return Outcome(results: results, head: head, appended: accepted.count, behind: behind, waiting: waiting)
    }

    /// The head to extend: `meta`'s hash is checked whole against the records (``Transaction/checkedLogHead(_:decoder:)``)
    /// unless this writer wrote it in the last group, so that a damaged `chain.head` is not built on.
    private func chainHead(_ txn: borrowing Transaction) throws -> (offset: UInt64, hash: ChainHash) {
        let head = try txn.logHead(schema)
        if head.offset == extendedHead.offset, head.hash == extendedHead.hash { return head }
        return try txn.checkedLogHead(
            schema, decoder: RecordDecoder(registry: registry, identity: identity, maximumEventSize: maximumEventSize))
    }

    /// ``AppendCondition/firstConflict(pending:_:)``, failing only its batch when a record it reads is damaged (an
    /// LMDB error still fails the transaction).
    private func firstConflict(
        _ condition: AppendCondition, pending: () -> [ProjectedEvent], _ txn: borrowing Transaction
    ) throws -> UInt64? {
        do {
            return try condition.firstConflict(pending: pending, txn)
        } catch let error as LMDBError {
            throw error
        } catch {
            throw AnnalsError(error)
        }
    }

    /// An accepted event as projections see it.
    private func projected(_ item: Accepted) -> ProjectedEvent {
        // Bound once: each read of `item.prepared` copies the event out of its request.
        let prepared = item.prepared
        let event = prepared.event
        return ProjectedEvent(
            offset: item.offset, id: event.id ?? identity.assignedID(offset: item.offset), type: event.type,
            actorId: event.actorId, targetId: event.targetId, groupId: event.groupId, timestamp: prepared.timestamp,
            version: item.version, metadata: prepared.projectedMetadata, canonicalJSON: prepared.metadataJSON)
    }

    /// The current version of a target stream, from the `streams` table.
    private func streamVersion(_ target: String, _ txn: borrowing Transaction) throws -> UInt64 {
        guard let stored = try txn.get(schema.streams, key: Array(target.utf8)), stored.count == 8 else { return 0 }
        return stored.withUnsafeBytes { UInt64(bigEndianBytes: $0) }
    }

    /// The original receipt of a client id appended in an earlier transaction.
    /// - Throws: ``AnnalsError/corruptRecord(offset:reason:)`` for an entry past the log's `head` (a tail removed
    ///   by damage): taking it for a duplicate would drop the event unwritten.
    private func lookup(_ id: UUID, head: UInt64, _ txn: borrowing Transaction) throws -> AppendReceipt? {
        guard let stored = try txn.get(schema.ids, key: id.bytes), stored.count == 16 else { return nil }
        let receipt = stored.withUnsafeBytes { b in
            AppendReceipt(offset: UInt64(bigEndianBytes: b, at: 0), id: id, version: UInt64(bigEndianBytes: b, at: 8))
        }
        guard receipt.offset <= head else {
            throw AnnalsError.corruptRecord(
                offset: receipt.offset,
                reason: "the ids entry of \(id.lowercasedString) points past the last offset \(head) (the log's tail "
                    + "was removed?); run 'annals verify --indexes' and 'annals reindex'")
        }
        return receipt
    }
}

/// The live projections applying one batch's events inside the group commit's transaction, journaling every change
/// so that a failure of the batch undoes exactly its projection writes.
private final class BatchProjector {
    private let live: [LiveProjection]
    private let journal = UndoJournal()
    private let writers: [JournaledTables]
    private let context: ProjectionContext

    init(_ live: [LiveProjection], catalog: ProjectionCatalog, _ handle: TransactionHandle) {
        self.live = live
        var readers: [String: any ProjectionReader] = [:]
        var writers: [JournaledTables] = []
        for projection in live {
            let tables = catalog.tables(projection.entry, slot: projection.state.slot, handle)
            readers[projection.entry.name] = tables
            writers.append(JournaledTables(tables: tables, journal: journal))
        }
        self.writers = writers
        context = ProjectionContext(mode: .live, readers: readers)
    }

    /// Applies the event at `index` of its batch to every live projection that handles it.
    /// - Throws: ``AnnalsError/rejectedEvent(index:type:projection:reason:)`` (also for a projection's own error) or
    ///   another ``AnnalsError``: the batch fails alone (after ``undo()``). An ``LMDBError`` (such as a full map)
    ///   fails the whole transaction.
    func apply(_ event: ProjectedEvent, index: Int) throws {
        for (projection, writer) in zip(live, writers) where projection.entry.projection.handles(eventType: event.type)
        {
            try projection.entry.projection.applyLive(event, index: index, to: writer, context: context)
        }
    }

    /// Undoes every change the batch's events made to the projections.
    func undo() throws { try journal.undo() }
}
