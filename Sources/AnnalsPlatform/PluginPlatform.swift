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
