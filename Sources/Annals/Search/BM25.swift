import Foundation

/// Okapi BM25, the classic full-text relevance score of one term in one document.
///
/// score = idf · tf · (k1 + 1) / (tf + k1 · (1 − b + b · dl / avgdl)), with the non-negative
/// idf = ln(1 + (N − df + 0.5) / (df + 0.5)). A document's score for a query is the sum over the query's terms.
/// The score grows with the term frequency (saturating, at a rate set by `k1`), shrinks as the document gets
/// longer than average (by a degree set by `b`) and shrinks as the term gets more common.
public struct BM25: Sendable, Equatable {
    /// Term-frequency saturation: 0 ignores repetitions, larger values reward them longer. Usually 1.2 to 2.
    public var k1: Double
    /// Length normalization, from 0 (none) to 1 (full).
    public var b: Double

    /// A scorer with the given parameters.
    /// - Parameters:
    ///   - k1: Term-frequency saturation, 1.2 by default.
    ///   - b: Length normalization, 0.75 by default.
    public init(k1: Double = 1.2, b: Double = 0.75) {
        self.k1 = k1
        self.b = b
    }

    /// The inverse document frequency of a term, never negative: ln(1 + (N − df + 0.5) / (df + 0.5)).
    /// - Parameters:
    ///   - documentFrequency: The number of documents containing the term (clamped to `0...documentCount`).
    ///   - documentCount: The number of documents.
    /// - Returns: A value ≥ 0, larger for rarer terms.
    public func inverseDocumentFrequency(documentFrequency: Int, documentCount: Int) -> Double {
        let count = Double(max(documentCount, 0))
        let frequency = Double(min(max(documentFrequency, 0), max(documentCount, 0)))
        return log(1 + (count - frequency + 0.5) / (frequency + 0.5))
    }

    /// The BM25 score of one term in one document.
    /// - Parameters:
    ///   - termFrequency: How often the term occurs in the document; 0 or less scores 0.
    ///   - documentLength: The document's length in terms.
    ///   - documentFrequency: The number of documents containing the term.
    ///   - documentCount: The number of documents.
    ///   - averageDocumentLength: The mean document length in terms; 0 or less disables length normalization.
    /// - Returns: A value ≥ 0.
    public func score(
        termFrequency: Int, documentLength: Int, documentFrequency: Int, documentCount: Int,
        averageDocumentLength: Double
    ) -> Double {
        guard termFrequency > 0 else { return 0 }
        let tf = Double(termFrequency)
        let relativeLength =
            averageDocumentLength > 0 ? Double(max(documentLength, 0)) / averageDocumentLength : 1
        let saturation = tf + k1 * (1 - b + b * relativeLength)
        let idf = inverseDocumentFrequency(documentFrequency: documentFrequency, documentCount: documentCount)
        return saturation > 0 ? idf * tf * (k1 + 1) / saturation : 0
    }
}
