import LMDB

/// What opening a writable store must do before its projections are live: create the state of newly registered
/// projections, rebuild outdated views (or refuse, by policy), and catch up views that are behind the log (events
/// appended by a process without them, or an open killed before it finished).
struct ProjectionMaintenancePlan {
    var rebuild: [String] = []
    var catchUp: [String] = []

    /// Inspects (and, for new projections, initializes) the states, before the writer starts.
    static func atOpen(
        _ catalog: ProjectionCatalog, environment: Environment, schema: StoreSchema, policy: OutdatedProjectionPolicy
    ) throws -> ProjectionMaintenancePlan {
        try environment.write { txn in
            let handle = txn.handle
            let head = try txn.logHead(schema).offset
            var plan = ProjectionMaintenancePlan()
            for entry in catalog.entries where entry.isAvailable {
                let projection = entry.projection
                guard let state = try catalog.state(entry.name, handle) else {
                    for database in entry.slots[0] { try handle.clear(database) }
                    let fresh = ProjectionState(
                        slot: 0, version: projection.version, configuration: projection.configuration, checkpoint: 0)
                    try catalog.setState(fresh, of: entry.name, handle)
                    if head > 0 { plan.catchUp.append(entry.name) }
                    continue
                }
                if !state.matches(projection) || state.checkpoint > head {
                    guard policy == .rebuild else {
                        throw AnnalsError.projectionUnavailable(
                            name: entry.name,
                            reason: Self.outdatedReason(state, projection, head: head)
                                + "; run 'annals rebuild \(entry.name)'")
                    }
                    plan.rebuild.append(entry.name)
                } else if state.checkpoint < head {
                    plan.catchUp.append(entry.name)
                }
            }
            return plan
        }
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
