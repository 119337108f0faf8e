import Foundation
import Testing

@testable import Annals

/// The names `things`, `connections` and `knowledge` belong to the built-in projections: the ontology's queries and
/// the CLI read those views' tables as theirs.
@Suite struct ProjectionNameTests {
    /// A projection of an embedder's own under a built-in name.
    struct Impostor: Projection {
        let name: String
        let version = 1
        let tableNames = ["records"]

        func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
            try tables.put(ProjectionTable(0), key: Array(event.type.utf8), value: [1])
        }
    }

    @Test(arguments: OntologyProjections.names)
    func aBuiltInNameIsRefusedForAnotherProjection(name: String) async throws {
        try await withTemporaryDirectory { directory in
            let projections = OntologyProjections.standard.filter { $0.name != name } + [Impostor(name: name)]
            #expect {
                try EventStore(path: directory + "/store", options: StoreOptions(projections: projections))
            } throws: { error in
                guard case .invalidArgument(let message) = error as? AnnalsError else { return false }
                return message.contains("'\(name)' is reserved for the built-in")
            }
            #expect(!FileManager.default.fileExists(atPath: directory + "/store/data.mdb"))
        }
    }

    @Test func theBuiltInProjectionsKeepTheirNames() async throws {
        let embedded = OntologyProjections.standard(embedder: FeatureHashingEmbedder(), encoding: .float32)
        try await withStore(StoreOptions(projections: embedded)) { store, _ in
            let things = try store.things()
            #expect(things.isEmpty)
        }
    }
}
