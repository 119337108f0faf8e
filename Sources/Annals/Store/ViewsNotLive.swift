/// The registered projections an append group does not apply, because their views are not live, and what becomes
/// of an event one of them may reject (``Projection/mayReject(eventType:)``).
///
/// Checking an event needs the view's tables as of the log head, and a view that is not live does not have them:
/// appending the event unchecked would put in the log what a catch-up or a rebuild then replays without checks
/// (replays never reject), such as knowledge about a thing that does not exist, which no `thing.deleted` removes.
/// So such an event waits for a view that is behind the log to be caught up (``ViewLeftBehind``, which the writer
/// hands to ``ViewCatchUp``), and fails with ``AnnalsError/projectionUnavailable(name:reason:)`` for a view built
/// by another version or configuration, or not built: nothing this process does makes that view live. Events no
/// such projection may reject are appended as before, and the views apply them when they catch up or are rebuilt.
struct ViewsNotLive {
    /// The views built by this code that are behind `head`, with their projections.
    private let behind: [(projection: any Projection, view: LaggingView)]
    /// The views built by another version or configuration, not built, or past `head`.
    private let outdated: [OutdatedView]
    /// The log head the group started from.
    private let head: UInt64

    /// The views of `catalog` that the states read at `head` (``ProjectionCatalog/live(at:_:)``) found not live.
    init(behind: [LaggingView], outdated: [OutdatedView], head: UInt64, catalog: ProjectionCatalog) {
        self.behind = behind.compactMap { view in catalog.entry(view.name).map { ($0.projection, view) } }
        self.outdated = outdated
        self.head = head
    }

    /// Whether every registered view is live, so that no event needs checking here.
    var isEmpty: Bool { behind.isEmpty && outdated.isEmpty }

    /// Checks that every projection that may reject an event of `type`, the one at `index` of its batch, has a live
    /// view.
    /// - Throws: ``AnnalsError/projectionUnavailable(name:reason:)`` naming the first such view built by another
    ///   version or configuration (or not built), and the event; else ``ViewLeftBehind`` for the first such view
    ///   behind the log, for which the batch waits.
    func check(_ type: String, index: Int) throws {
        for view in outdated where view.entry.projection.mayReject(eventType: type) {
            throw AnnalsError.projectionUnavailable(
                name: view.entry.name,
                reason: "it checks event \(index) of the batch (\(type)) and cannot: \(view.reason); append such "
                    + "events where the projection that built the view is registered, or "
                    + ProjectionMaintenancePlan.rebuildAdvice(view.entry.name))
        }
        for (projection, view) in behind where projection.mayReject(eventType: type) {
            throw ViewLeftBehind(view: view, head: head)
        }
    }
}
