import Foundation
import Testing

@testable import Annals

/// An embedder that breaks its own `dimensions`: its vectors are refused, never stored or searched with.
struct ShortEmbedder: Embedder {
    var identifier = "short-1"
    var dimensions = 8
    func embed(_ text: String) -> [Float] { [1, 0, 0] }
}

@Suite struct EmbedderContractTests {
    @Test func vectorsOfTheWrongLengthAreRefusedAtAppendAndSearch() async throws {
        let options = StoreOptions(projections: OntologyProjections.standard(embedder: ShortEmbedder()))
        try await withStore(options) { store, _ in
            _ = try await store.append(NewEvent(type: "thing.created", targetId: "t", metadata: ["thingType": "d"]))
            await #expect {
                _ = try await store.append(
                    NewEvent(type: "knowledge.added", targetId: "k", metadata: ["thingId": "t", "text": "hello"]))
            } throws: { error in
                guard case .rejectedEvent(0, "knowledge.added", "knowledge", let reason) = error as? AnnalsError
                else { return false }
                return reason.contains("made 3 components for it, but declares 8 dimensions")
            }
            #expect(try store.knowledge(KnowledgeFilter()).isEmpty)
            #expect {
                _ = try store.search(SearchQuery("hello"))
            } throws: { error in
                guard case .invalidArgument(let text) = error as? AnnalsError else { return false }
                return text.contains("made a query vector of 3 components, but it declares 8 dimensions")
            }
            // Lexical search does not embed the query.
            #expect(try store.search(SearchQuery("hello", mode: .lexical)).isEmpty)
        }
    }
}
