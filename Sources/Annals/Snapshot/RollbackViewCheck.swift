import Foundation
import LMDB

extension EventStore {
    /// Applies a rollback's events (`prepared`, as an append prepares them), planned to follow `head`, to the views in
    /// memory, laid over their live tables read in `handle`, as the writer's projections will apply them: a plan they
    /// would reject fails when it is planned, so a dry run says what the rollback would (a connection restored to a
    /// thing deleted since, when the scope is too narrow to restore that thing too). The three ontology views must be
    /// live; every other projection the writer would apply (a custom one registered with
    /// ``StoreOptions/projections``, whose view is live) is applied too, in the writer's order. Nothing is written.
    /// - Throws: ``AnnalsError/rejectedEvent(index:type:projection:reason:)`` for the first event a view rejects.
    func checkAgainstViews(_ prepared: [PreparedEvent], head: UInt64, _ handle: TransactionHandle) throws {
        guard !prepared.isEmpty else { return }
        var live: [String: LMDBTables] = [:]
        for name in OntologyProjections.names { live[name] = try liveTables(name, head: head, handle) }
        for projection in try projections.live(at: head, handle).live where live[projection.entry.name] == nil {
            live[projection.entry.name] = projection.tables
        }
        // The writer's order: the catalog's.
        let applied = projections.entries.compactMap { entry in
            live[entry.name].map { (projection: entry.projection, databases: $0.databases) }
        }
        var tables: [String: MemoryTables] = [:]
        for (projection, databases) in applied {
            tables[projection.name] = MemoryTables(
                bases: databases.map { database in
                    let base = LMDBTableBase(database)
                    base.bind(handle)
                    return base
                })
        }
        let context = ProjectionContext(mode: .live, readers: tables)
        for (index, item) in prepared.enumerated() {
            let event = item.event
            let offset = head + UInt64(index) + 1
            let projected = ProjectedEvent(
                offset: offset, id: identity.assignedID(offset: offset), type: event.type, actorId: event.actorId,
                targetId: event.targetId, groupId: event.groupId, timestamp: item.timestamp,
                version: (event.expectedVersion ?? 0) + 1, metadata: item.projectedMetadata,
                canonicalJSON: item.metadataJSON)
            for (projection, _) in applied where projection.handles(eventType: event.type) {
                guard let writer = tables[projection.name] else { continue }
                try projection.applyLive(projected, index: index, to: writer, context: context)
            }
        }
    }
}
