/// The ids of things, connections and knowledge items share one namespace: an entity's id is its event stream
/// (`targetId`), whose version counts that entity's events alone.
enum EntityIDs {
    /// One built-in view whose entities are streams: its name, what its entities are called, and whether it holds
    /// a live entity with an id.
    private struct Kind: Sendable {
        let view: String
        let noun: String
        let holds: @Sendable (String, any ProjectionReader) throws -> Bool
    }

    private static let kinds = [
        Kind(view: "things", noun: "thing") { try ThingsProjection.thing($0, in: $1) != nil },
        Kind(view: "connections", noun: "connection") { try ConnectionsProjection.connection($0, in: $1) != nil },
        Kind(view: "knowledge", noun: "knowledge item") { try KnowledgeProjection.item($0, in: $1) != nil },
    ]

    /// In live mode, rejects creating `id` in view `view` when another view holds a live entity with that id: the two
    /// would share one stream, and its versions (`expectedVersion`) would count both entities' events.
    /// - Throws: ``ProjectionRejection`` naming the entity that has the id.
    static func requireUnused(_ id: String, creatingIn view: String, context: ProjectionContext) throws {
        guard context.mode == .live else { return }
        for kind in kinds where kind.view != view {
            guard let tables = context.tables(of: kind.view) else { continue }
            if try kind.holds(id, tables) {
                throw ProjectionRejection(
                    field: "targetId", "'\(id)' is the id of a \(kind.noun): each entity is its own stream")
            }
        }
    }
}
