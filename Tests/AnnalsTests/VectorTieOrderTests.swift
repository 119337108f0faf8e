import Foundation
import Testing

@testable import Annals

/// Items with equal similarity are ranked by id, whatever order the in-memory vector index holds their rows in: a
/// long-running process (whose index appends the rows of changed items) and a fresh one answer alike.
@Suite struct VectorTieOrderTests {
    @Test func tiedRowsRankAsTheCallerSays() {
        var matrix = VectorMatrix(dimensions: 2)
        for _ in 0..<3 { matrix.append([1, 0]) }
        #expect(matrix.topK(query: [1, 0], k: 1, where: { _ in true }).map(\.row) == [0])
        let reversed = matrix.topK(query: [1, 0], k: 2, where: { _ in true }, ranksFirst: { $0 > $1 })
        #expect(reversed.map(\.row) == [2, 1])
    }

    @Test func aLongRunningProcessRanksTiesAsAFreshOne() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let text = "reading lamp for the hall"
            func ranking(_ store: EventStore) throws -> [String] {
                try SearchMode.allCases.map { mode in
                    try store.search(SearchQuery("reading lamp", mode: mode)).map { hit in
                        "\(mode) \(hit.item.id) \(hit.vectorRank ?? 0)"
                    }.joined(separator: ", ")
                }
            }
            let live: [String]
            do {
                let store = try EventStore(path: path)
                defer { store.close() }
                _ = try await store.append(Vocabulary.thing("t"))
                // Fillers, so that the change below updates the cached index rather than rebuilding it.
                _ = try await store.append(
                    contentsOf: [
                        Vocabulary.knowledge("k-a", about: "t", text: text),
                        Vocabulary.knowledge("k-b", about: "t", text: text),
                    ] + (0..<10).map { Vocabulary.knowledge("f-\($0)", about: "t", text: "filler \($0) text") })
                _ = try store.search(SearchQuery("reading lamp", mode: .vector))
                // k-a's row moves after k-b's in the cached index.
                _ = try await store.append(NewEvent(type: "knowledge.deleted", actorId: "x", targetId: "k-a"))
                _ = try await store.append(Vocabulary.knowledge("k-a", about: "t", text: text))
                live = try ranking(store)
            }
            let store = try EventStore(path: path)
            defer { store.close() }
            #expect(try ranking(store) == live)
            let best = try store.search(SearchQuery("reading lamp", limit: 1, mode: .vector))
            #expect(best.map(\.item.id) == ["k-a"])
        }
    }
}
