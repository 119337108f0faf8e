/// Reciprocal rank fusion: merges several rankings (for example BM25 and vector search) into one.
///
/// Each item scores Σ 1 / (k + rank) over the rankings it appears in, with ranks counted from 1. Only ranks
/// matter, not the rankers' scores, so rankings on incomparable scales fuse without tuning; `k` (60 in the
/// original paper by Cormack, Clarke and Büttcher) damps the advantage of the very first places.
public enum ReciprocalRankFusion {
    /// The fused ranking of `rankings`.
    ///
    /// ```swift
    /// ReciprocalRankFusion.fuse([["a", "b", "c"], ["b", "c"]])
    /// // [("b", 1/62 + 1/61), ("c", 1/63 + 1/62), ("a", 1/61)]
    /// ```
    /// - Parameters:
    ///   - rankings: Each ranking lists IDs best first. An ID repeated within one ranking counts once, at its
    ///     best rank.
    ///   - k: The rank offset; must be non-negative.
    /// - Returns: Every ID that appears in any ranking, by fused score descending, ties by ID ascending.
    public static func fuse<ID: Hashable & Comparable>(_ rankings: [[ID]], k: Double = 60) -> [(id: ID, score: Double)]
    {
        precondition(k >= 0, "the rank offset must be non-negative")
        var scores: [ID: Double] = [:]
        for ranking in rankings {
            var seen = Set<ID>()
            for (index, id) in ranking.enumerated() where seen.insert(id).inserted {
                scores[id, default: 0] += 1 / (k + Double(index + 1))
            }
        }
        return scores.map { (id: $0.key, score: $0.value) }
            .sorted { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }
    }
}
