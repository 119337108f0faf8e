import Annals

/// The plugin platform over an Annals store: registries synced from plugin indexes, search, dependency
/// resolution, and versioned installs per organization with update and rollback.
///
/// Everything is in the ONE ontology and every change is an event: registries, plugins and installs are things,
/// dependencies and installs are connections, and search goes through the knowledge view. Reads use the store's
/// views; every change is one atomic batch of events, so nothing is ever half-synced or half-installed.
///
/// ```swift
/// let store = try EventStore(path: "store")
/// let platform = PluginPlatform(store: store)
/// let report = try await platform.sync(RegistrySource("registry/"), scope: .global, actorId: "ops")
/// let hits = try platform.search("store agent memory in postgres", organization: "acme")
/// let plan = try await platform.install("@elizaos/plugin-sql", organization: "acme", actorId: "ana")
/// ```
public struct PluginPlatform: Sendable {
    /// The store the platform keeps its state in.
    public let store: EventStore

    /// A platform over `store`, which must have the built-in ontology projections (the default).
    public init(store: EventStore) {
        self.store = store
    }

    /// Appends `events` as one atomic batch, or does nothing when there are none.
    func appendBatch(_ events: [NewEvent]) async throws(PlatformError) -> [AppendReceipt] {
        guard !events.isEmpty else { return [] }
        do {
            return try await store.append(contentsOf: events)
        } catch {
            throw .store(error)
        }
    }

    /// Appends `events` as one atomic batch computed from the views as of `plannedAt`, only if no ontology event
    /// (`thing.*`, `connection.*`, `knowledge.*`) on an entity the platform plans from (``PlatformIDs/planningPrefixes``)
    /// in `groups` was appended since: two plans made from the same state (two syncs of a registry, an install and an
    /// update in one organization) can never both be appended, while the application's own things in those groups,
    /// and plugins' kv state, never conflict. The second fails with ``PlatformError/store(_:)`` wrapping
    /// ``AnnalsError/conflictingAppend(offset:plannedAt:)`` (exit 3: run it again). Does nothing when there are no
    /// events.
    ///
    /// With `installsAnywhere`, a change to an install in any organization conflicts too: a sync decides which
    /// versions it may drop from what every organization has installed.
    func appendBatch(
        _ events: [NewEvent], plannedAt: UInt64, groups: [String], installsAnywhere: Bool = false
    ) async throws(PlatformError) -> [AppendReceipt] {
        guard !events.isEmpty else { return [] }
        let groups = Set(groups)
        do {
            return try await store.append(contentsOf: events, unlessAppendedAfter: plannedAt) { event in
                guard Self.changesPlans(event.type, targetId: event.targetId) else { return false }
                if let group = event.groupId, groups.contains(group) { return true }
                return installsAnywhere && (event.targetId?.hasPrefix(PlatformIDs.installPrefix) ?? false)
            }
        } catch {
            throw .store(error)
        }
    }

    /// Whether an event of `type` on `targetId` may change what plugin operations plan from: an ontology event on
    /// one of the platform's own entities.
    static func changesPlans(_ type: String, targetId: String?) -> Bool {
        guard type.hasPrefix("thing.") || type.hasPrefix("connection.") || type.hasPrefix("knowledge."),
            let targetId
        else { return false }
        return PlatformIDs.planningPrefixes.contains { targetId.hasPrefix($0) }
    }

    /// Runs a read of the views; a ``PlatformError`` thrown by `body` comes out as itself, engine errors as
    /// ``PlatformError/store(_:)``.
    func view<R>(_ body: (OntologyView) throws -> R) throws(PlatformError) -> R {
        var thrown: PlatformError?
        do {
            return try store.read { view in
                do {
                    return try body(view)
                } catch let error as PlatformError {
                    thrown = error
                    throw error
                }
            }
        } catch {
            throw thrown ?? PlatformError(error)
        }
    }
}
