import LMDB

/// The tables of one registered projection as they were at an earlier log offset: the nearest snapshot holding them
/// with the rest of the log replayed on it, in ``ProjectionContext/Mode/timeTravel`` mode. What
/// ``EventStore/state(at:of:)`` returns, for custom projections (and the built-in ones, table by table).
///
/// Immutable once computed and independent of any transaction, like ``HistoricalState``: it may be kept and read
/// from several tasks at once.
public struct HistoricalTables: @unchecked Sendable {
    /// The projection's name.
    public let projection: String
    /// The offset the tables reflect.
    public let offset: UInt64
    /// The snapshot the replay started from, or `nil` when it replayed the log from the start.
    public let snapshotOffset: UInt64?
    /// Events replayed on top of the snapshot.
    public let replayedEvents: Int
    /// Damaged snapshots met and skipped on the way (each a ``AnnalsError/corruptSnapshot(offset:reason:)``).
    public let skippedSnapshots: [AnnalsError]
    /// The tables, read as the live ones are. Those the projection leaves out of ``Projection/snapshotTableNames``
    /// hold only what its `apply` writes in ``ProjectionContext/Mode/timeTravel`` mode after the snapshot.
    public let tables: any ProjectionReader
}

/// Read access to frozen in-memory tables, and nothing more: a caller cannot cast it to a writer.
private struct FrozenTables: ReadingThrough {
    let readBase: MemoryTables
}

extension EventStore {
    /// The tables of the registered projection `name` as of `offset` (0: empty tables): the newest intact snapshot
    /// at or before it that holds them as this code builds them (same version, configuration and snapshot tables),
    /// with the events after it up to `offset` that the projection handles replayed on top, in
    /// ``ProjectionContext/Mode/timeTravel`` mode. Snapshots hold every registered projection, custom ones included,
    /// so an embedder's own view travels in time as the ontology does (``state(at:)``).
    ///
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for an offset past the head;
    ///   ``AnnalsError/projectionUnavailable(name:reason:)`` when no projection `name` is registered, or when a
    ///   read-only store has no tables for a registered one (it never opened writable with it); an error the
    ///   projection's `apply` throws, as ``AnnalsError/projectionUnavailable(name:reason:)`` naming the event.
    public func state(at offset: UInt64, of name: String) throws(AnnalsError) -> HistoricalTables {
        do {
            try requireWithinLog(offset)
            guard let entry = projections.entry(name) else {
                let registered = projections.entries.filter(\.isAvailable).map(\.name).joined(separator: ", ")
                throw AnnalsError.projectionUnavailable(
                    name: name, reason: "no projection of that name is registered (registered: \(registered))")
            }
            guard entry.isAvailable else {
                throw AnnalsError.projectionUnavailable(
                    name: name,
                    reason: "it is registered, but this read-only store has no tables for it yet (a writable open "
                        + "with the projection registered creates and builds them)")
            }
            let projection = entry.projection
            let (start, skipped) = try newestSnapshot(atOrBefore: offset, for: [entry])
            let tables = start?.tables ?? [MemoryTables(tableCount: projection.tableNames.count)]
            var everything = ScopeFilter.everything
            let replay = ParallelReplay(store: self, entries: [entry], tables: tables)
            let replayed: Int
            do {
                replayed = try replay.run(
                    after: start?.offset ?? 0, through: offset, filter: &everything,
                    including: { projection.handles(eventType: $0.type) })
            } catch let error as AnnalsError {
                throw error
            } catch let error as LMDBError {
                throw error
            } catch {
                throw AnnalsError.projectionUnavailable(name: name, reason: "replaying it failed: \(error)")
            }
            MemoryTables.freeze(tables)
            return HistoricalTables(
                projection: name, offset: offset, snapshotOffset: start?.offset, replayedEvents: replayed,
                skippedSnapshots: skipped, tables: FrozenTables(readBase: tables[0]))
        } catch {
            throw AnnalsError(error)
        }
    }
}
