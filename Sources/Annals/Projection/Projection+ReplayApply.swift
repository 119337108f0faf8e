import LMDB

extension Projection {
    /// Applies `event` while replaying the log (a rebuild, a catch-up), where nothing is refused: an error of the
    /// projection's own becomes ``AnnalsError/projectionUnavailable(name:reason:)`` naming the event (`replaying
    /// offset N (TYPE) failed: …`); an ``LMDBError`` is thrown as it is, failing the transaction (a full map is grown
    /// and the work retried).
    func applyReplaying(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
        do {
            try apply(event, to: tables, context: context)
        } catch let error as LMDBError {
            throw error
        } catch {
            throw AnnalsError.projectionUnavailable(
                name: name, reason: "replaying offset \(event.offset) (\(event.type)) failed: \(error)")
        }
    }
}
