import Foundation
import Testing

@testable import Annals

/// BM25's statistics in a search restricted to groups: those of the groups searched, never another group's.
@Suite struct SearchStatisticsTests {
    /// org-a's two items, and the search the reviewer ran on them.
    private func seedOrganizationA(_ store: EventStore) async throws {
        _ = try await store.append(Vocabulary.thing("t"))
        _ = try await store.append(contentsOf: [
            Vocabulary.knowledge("k-a1", about: "t", text: "apple apple report", group: "org-a"),
            Vocabulary.knowledge("k-a2", about: "t", text: "banana report", labels: ["fruit"], group: "org-a"),
        ])
    }

    /// Eight private items of org-b that mention "apple".
    private func privateItemsOfOrganizationB() -> [NewEvent] {
        (0..<8).map { index in
            Vocabulary.knowledge("k-b\(index)", about: "t", text: "apple pie number \(index)", group: "org-b")
        }
    }

    /// The hits as id and score (a whole hit prints its embedding).
    private func ranked(_ store: EventStore, _ query: SearchQuery) throws -> [String] {
        try store.search(query).map { "\($0.item.id) \($0.score) \($0.lexicalScore ?? -1)" }
    }

    @Test func anotherGroupsItemsChangeNeitherTheScoresNorTheOrder() async throws {
        try await withStore { store, _ in
            try await seedOrganizationA(store)
            let queries = [
                SearchQuery("apple banana", groupId: "org-a", mode: .lexical),
                SearchQuery("apple banana", groupId: "org-a", mode: .hybrid),
                SearchQuery("apple banana", groupIds: ["org-a"], mode: .lexical),
                SearchQuery("apple banana", groupIds: ["org-a", "org-c"], mode: .hybrid),
            ]
            let before = try queries.map { try ranked(store, $0) }
            let lexical = try store.search(queries[0])
            #expect(lexical.map(\.item.id) == ["k-a1", "k-a2"])
            _ = try await store.append(contentsOf: privateItemsOfOrganizationB())
            #expect(try queries.map { try ranked(store, $0) } == before)
            // Deleting them again leaves the scores as they were, too.
            for index in 0..<8 {
                _ = try await store.append(
                    NewEvent(type: "knowledge.deleted", actorId: "tester", targetId: "k-b\(index)"))
            }
            #expect(try queries.map { try ranked(store, $0) } == before)
        }
    }

    @Test func aSearchOfGroupsScoresAsAViewHoldingOnlyThoseGroupsWould() async throws {
        try await withStore { alone, _ in
            try await seedOrganizationA(alone)
            let expected = try ranked(alone, SearchQuery("apple banana report", mode: .lexical))
            try await withStore { shared, _ in
                try await seedOrganizationA(shared)
                // An org-a item added and deleted, and org-b's items added after the index was first built.
                _ = try await shared.append(
                    Vocabulary.knowledge("k-a3", about: "t", text: "apple banana cherry", group: "org-a"))
                #expect(try ranked(shared, SearchQuery("apple", groupId: "org-a", mode: .lexical)).count == 2)
                _ = try await shared.append(
                    NewEvent(type: "knowledge.deleted", actorId: "tester", targetId: "k-a3"))
                _ = try await shared.append(contentsOf: privateItemsOfOrganizationB())
                let query = SearchQuery("apple banana report", groupId: "org-a", mode: .lexical)
                #expect(try ranked(shared, query) == expected)
                // A search of every group keeps the statistics of the whole view.
                let everywhere = try shared.search(SearchQuery("apple banana report", mode: .lexical))
                #expect(everywhere.first { $0.item.id == "k-a1" }?.lexicalScore != lexicalScore(expected, "k-a1"))
            }
        }
    }

    @Test func labelsNarrowTheHitsButNotTheStatistics() async throws {
        try await withStore { store, _ in
            try await seedOrganizationA(store)
            _ = try await store.append(contentsOf: privateItemsOfOrganizationB())
            let all = try store.search(SearchQuery("apple banana", groupId: "org-a", mode: .lexical))
            let fruit = try store.search(
                SearchQuery("apple banana", groupId: "org-a", labels: ["fruit"], mode: .lexical))
            #expect(fruit.map(\.item.id) == ["k-a2"])
            #expect(fruit.first?.lexicalScore == all.first { $0.item.id == "k-a2" }?.lexicalScore)
        }
    }

    /// The lexical score of `id` in hits ranked as "id score lexicalScore".
    private func lexicalScore(_ ranked: [String], _ id: String) -> Double? {
        ranked.first { $0.hasPrefix(id + " ") }.flatMap { Double($0.split(separator: " ")[2]) }
    }
}
