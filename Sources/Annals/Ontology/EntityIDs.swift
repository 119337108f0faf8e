/// The ids of things, connections and knowledge items share one namespace: an entity's id is its event stream
/// (`targetId`), whose version counts that entity's events alone.
enum EntityIDs {
    /// The built-in views whose entities are streams, with what their entities are called.
    private static let kinds: [(view: String, noun: String)] = [
        ("things", "thing"), ("connections", "connection"), ("knowledge", "knowledge item"),
    ]

    /// In live mode, rejects creating `id` in view `view` when another view holds a live entity with that id: the two
    /// would share one stream, and its versions (`expectedVersion`) would count both entities' events.
    /// - Throws: ``ProjectionRejection`` naming the entity that has the id.
    static func requireUnused(_ id: String, creatingIn view: String, context: ProjectionContext) throws {
        guard context.mode == .live else { return }
        for kind in kinds where kind.view != view {
            guard let tables = context.tables(of: kind.view) else { continue }
            let taken =
                switch kind.view {
                case "things": try ThingsProjection.thing(id, in: tables) != nil
                case "connections": try ConnectionsProjection.connection(id, in: tables) != nil
                default: try KnowledgeProjection.item(id, in: tables) != nil
                }
            if taken {
                throw ProjectionRejection(
                    field: "targetId", "'\(id)' is the id of a \(kind.noun): each entity is its own stream")
            }
        }
    }
}
