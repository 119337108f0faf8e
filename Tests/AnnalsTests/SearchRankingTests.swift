import Foundation
import Testing

@testable import Annals

/// How a search ranks: the same order whatever the limit.
@Suite struct SearchRankingTests {
    /// Sixty items say the word twice but are embedded far from the query; one says it once among twenty other
    /// words, with an embedding the store computes. Cut at a depth that grew with the limit, the rankings used to
    /// leave that item out of a small limit's fusion and put it first in a large one's.
    @Test func theHitsOfASmallerLimitAreTheFirstHitsOfALargerOne() async throws {
        try await withStore { store, _ in
            _ = try await store.append(Vocabulary.thing("t"))
            let dimensions = FeatureHashingEmbedder().dimensions
            let far = JSONValue.array([.double(1)] + Array(repeating: .double(0), count: dimensions - 1))
            var events = (0..<60).map { index in
                NewEvent(
                    type: "knowledge.added", actorId: "tester", targetId: String(format: "k-%02d", index),
                    groupId: "org-1", metadata: ["thingId": "t", "text": "zebra zebra", "embedding": far])
            }
            let words = (0..<20).map { "qq\($0)" }.joined(separator: " ")
            events.append(Vocabulary.knowledge("k-z", about: "t", text: "zebra " + words))
            _ = try await store.append(contentsOf: events)
            // Compared as id, score and ranks: a whole hit prints its embedding.
            func ranked(_ limit: Int, _ mode: SearchMode) throws -> [String] {
                try store.search(SearchQuery("zebra", limit: limit, mode: mode)).map { hit in
                    "\(hit.item.id) \(hit.score) \(hit.vectorRank ?? 0) \(hit.lexicalRank ?? 0)"
                }
            }
            for mode in SearchMode.allCases {
                let all = try ranked(200, mode)
                #expect(all.count == 61 || mode == .vector, "\(mode): \(all.count)")
                for limit in [1, 5, 10, 50, 61] {
                    #expect(try ranked(limit, mode) == Array(all.prefix(limit)), "\(mode), limit \(limit)")
                }
                // Every item holding the word is ranked by it (within the first 1,000), however low the limit.
                if mode != .vector {
                    let few = try store.search(SearchQuery("zebra", limit: 10, mode: mode))
                    #expect(few.allSatisfy { $0.lexicalScore != nil && $0.matchedTerms == ["zebra"] })
                }
            }
        }
    }
}
