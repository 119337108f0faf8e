/// The built-in projections of the ONE ontology.
public enum OntologyProjections {
    /// The names of the three views: `things`, `connections` and `knowledge`.
    public static let names = ["things", "connections", "knowledge"]

    /// Things, connections and knowledge (with the default offline embedder): the default of
    /// ``StoreOptions/projections``.
    public static var standard: [any Projection] {
        [ThingsProjection(), ConnectionsProjection(), KnowledgeProjection()]
    }

    /// Things, connections and knowledge, with knowledge embedded by `embedder` and stored as `encoding`.
    public static func standard(embedder: any Embedder, encoding: VectorEncoding = .float16) -> [any Projection] {
        [ThingsProjection(), ConnectionsProjection(), KnowledgeProjection(embedder: embedder, encoding: encoding)]
    }
}
