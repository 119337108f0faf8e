import Foundation
import Testing

@testable import Annals

@Suite("Several things as one scope")
struct ThingsScopeTests {
    @Test("state(at:scope: .things) holds the things, their connections and knowledge; rollback restores only them")
    func thingsScope() async throws {
        try await withStore(StoreOptions(durability: .noSync)) { store, _ in
            _ = try await store.append(contentsOf: [
                Vocabulary.thing("a", name: "A"), Vocabulary.thing("b", name: "B"), Vocabulary.thing("c", name: "C"),
                Vocabulary.connect("a-b", from: "a", to: "b"), Vocabulary.connect("b-c", from: "b", to: "c"),
                Vocabulary.knowledge("k-a", about: "a", text: "about a"),
            ])
            let before = try store.head().offset
            _ = try await store.append(contentsOf: [
                Vocabulary.update("a", name: "A2"), Vocabulary.update("b", name: "B2"),
                Vocabulary.update("c", name: "C2"),
                Vocabulary.connect("a-c", from: "a", to: "c"),
            ])
            let past = try store.state(at: before, scope: .things(["a", "b"])).view
            #expect(try past.things(ThingFilter(limit: 10)).map(\.id).sorted() == ["a", "b"])
            #expect(try past.connections(ConnectionFilter(limit: 10)).map(\.id).sorted() == ["a-b", "b-c"])
            #expect(try past.knowledge(KnowledgeFilter(limit: 10)).map(\.id) == ["k-a"])

            let (plan, _) = try await store.rollback(to: before, scope: .things(["a", "b"]), actorId: "ops")
            #expect(plan.scope.description == "things:a,b")
            #expect(try store.thing("a")?.name == "A")
            #expect(try store.thing("b")?.name == "B")
            #expect(try store.thing("c")?.name == "C2")  // outside the scope
            #expect(try store.connections(ConnectionFilter(limit: 10)).map(\.id).sorted() == ["a-b", "b-c"])
        }
    }
}
