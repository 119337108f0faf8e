import LMDB

/// What opening a writable store must do before its projections are live: create the state of newly registered
/// projections, rebuild outdated views (or refuse, by policy), and catch up views that are behind the log (events
/// appended by a process without them, or an open killed before it finished).
struct ProjectionMaintenancePlan {
    var rebuild: [String] = []
    var catchUp: [String] = []

    /// Inspects (and, for new projections, initializes) the states, before the writer starts. Only a store with a
    /// newly registered projection takes a write transaction here; other opens read.
    static func atOpen(
        _ catalog: ProjectionCatalog, environment: Environment, schema: StoreSchema, policy: OutdatedProjectionPolicy
    ) throws -> ProjectionMaintenancePlan {
        let available = catalog.entries.filter(\.isAvailable)
        let missing = try environment.read { txn in
            try available.filter { try catalog.state($0.name, txn.handle) == nil }
        }
        if !missing.isEmpty {
            try environment.write { txn in
                let handle = txn.handle
                for entry in missing where try catalog.state(entry.name, handle) == nil {
                    for database in entry.slots[0] { try handle.clear(database) }
                    let projection = entry.projection
                    try catalog.setState(
                        ProjectionState(
                            slot: 0, version: projection.version, configuration: projection.configuration,
                            checkpoint: 0), of: entry.name, handle)
                }
            }
        }
        return try environment.read { txn in
            let head = try txn.lastOffset(schema)
            var plan = ProjectionMaintenancePlan()
            for entry in available {
                guard let state = try catalog.state(entry.name, txn.handle) else { continue }
                if !state.matches(entry.projection) || state.checkpoint > head {
                    // Another configuration of this version: the view of a process configured otherwise, left to it.
                    if policy == .rebuildOtherVersions, state.version == entry.projection.version,
                        state.checkpoint <= head
                    {
                        continue
                    }
                    guard policy != .refuse else {
                        throw AnnalsError.projectionUnavailable(
                            name: entry.name,
                            reason: Self.outdatedReason(state, entry.projection, head: head)
                                + "; " + Self.rebuildAdvice(entry.name))
                    }
                    plan.rebuild.append(entry.name)
                } else if state.checkpoint < head {
                    plan.catchUp.append(entry.name)
                }
            }
            return plan
        }
    }

    /// How to rebuild the view of projection `name`: `annals rebuild` for a built-in one; for an embedder's own,
    /// which the CLI does not have (it registers only the built-in ones), a writable open that rebuilds it.
    static func rebuildAdvice(_ name: String) -> String {
        if OntologyProjections.names.contains(name) { return "run 'annals rebuild \(name)'" }
        return "open the store writable with this projection registered and outdatedProjections: .rebuild (the "
            + "default), or call EventStore.rebuild([\"\(name)\"]); 'annals rebuild' has only the built-in projections"
    }

    static func outdatedReason(_ state: ProjectionState, _ projection: any Projection, head: UInt64) -> String {
        if state.checkpoint > head {
            return "its checkpoint \(state.checkpoint) is past the log head \(head)"
        }
        if state.version != projection.version {
            return "the view was built by version \(state.version), this code is version \(projection.version)"
        }
        return "the view was built with configuration '\(state.configuration)', this code uses "
            + "'\(projection.configuration)'"
    }

    /// Rebuilds and catches up, on the open store.
    func run(_ store: EventStore) throws {
        if !rebuild.isEmpty { _ = try ProjectionRebuilder(store: store, kind: .rebuild).run(rebuild) }
        if !catchUp.isEmpty { _ = try ProjectionRebuilder(store: store, kind: .catchUp).run(catchUp) }
    }
}
