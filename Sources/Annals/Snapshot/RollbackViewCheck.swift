import Foundation
import LMDB

extension EventStore {
    /// Applies a rollback's events (`prepared`, as an append prepares them), planned to follow `head`, to the three views in memory, laid over their live
    /// tables read in `handle`, as the writer's projections will apply them: a plan they would reject fails when it is
    /// planned, so a dry run says what the rollback would (a connection restored to a thing deleted since, when the
    /// scope is too narrow to restore that thing too). Nothing is written.
    /// - Throws: ``AnnalsError/rejectedEvent(index:type:projection:reason:)`` for the first event a view rejects.
    func checkAgainstViews(_ prepared: [PreparedEvent], head: UInt64, _ handle: TransactionHandle) throws {
        guard !prepared.isEmpty else { return }
        var tables: [String: MemoryTables] = [:]
        for name in OntologyProjections.names {
            let live = try liveTables(name, head: head, handle)
            tables[name] = MemoryTables(
                bases: live.databases.map { database in
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
            for name in OntologyProjections.names {
                guard let projection = projections.entry(name)?.projection, projection.handles(eventType: event.type),
                    let writer = tables[name]
                else { continue }
                try projection.applyLive(projected, index: index, to: writer, context: context)
            }
        }
    }
}
