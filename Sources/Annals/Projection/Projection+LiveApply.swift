import LMDB

extension Projection {
    /// Applies `event`, the one at `index` of a batch being appended, in ``ProjectionContext/Mode/live`` mode, as
    /// the writer does and as a rollback's plan is checked: a ``ProjectionRejection``, and any error of the
    /// projection's own, becomes ``AnnalsError/rejectedEvent(index:type:projection:reason:)`` (the batch fails
    /// alone); an ``AnnalsError`` or an ``LMDBError`` (such as a full map) is thrown as it is.
    func applyLive(
        _ event: ProjectedEvent, index: Int, to tables: any ProjectionWriter, context: ProjectionContext
    ) throws {
        do {
            try apply(event, to: tables, context: context)
        } catch let rejection as ProjectionRejection {
            throw AnnalsError.rejectedEvent(
                index: index, type: event.type, projection: name, reason: rejection.description)
        } catch let error as LMDBError {
            throw error
        } catch AnnalsError.invalidArgument(let message) {
            // A misuse of the tables (a key out of range, a table the projection does not own) is this event's
            // rejection too, named with its index and type.
            throw AnnalsError.rejectedEvent(
                index: index, type: event.type, projection: name, reason: "apply failed: \(message)")
        } catch let error as AnnalsError {
            throw error
        } catch {
            throw AnnalsError.rejectedEvent(
                index: index, type: event.type, projection: name, reason: "apply failed: \(error)")
        }
    }
}
