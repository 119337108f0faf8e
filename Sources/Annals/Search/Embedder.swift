/// Turns text into a fixed-length vector for semantic search.
///
/// Vectors from the same embedder can be compared with a dot product (they are unit length), which is what
/// ``VectorMatrix/topK(query:k:where:)`` does. Vectors from different embedders, or from the same embedder with
/// different settings, are not comparable: store ``identifier`` with the vectors and re-embed when it changes.
public protocol Embedder: Sendable {
    /// A stable name of the model and its settings, e.g. "feature-hashing-v1-384"; stored with the vectors so a
    /// change is detected.
    var identifier: String { get }

    /// The length of every vector it returns.
    var dimensions: Int { get }

    /// The embedding of `text`, L2-normalized (or all zeros for text with no features).
    /// - Parameter text: Any text; embedders may ignore what they have no features for.
    /// - Returns: A vector of ``dimensions`` components. Another count is refused, never stored: an append whose
    ///   knowledge text gets one is rejected (``AnnalsError/rejectedEvent(index:type:projection:reason:)``), and a
    ///   search whose query text gets one fails with ``AnnalsError/invalidArgument(_:)``.
    func embed(_ text: String) -> [Float]
}
