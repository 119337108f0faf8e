/// The documents BM25's statistics describe when a search is restricted to groups: how many there are, their total
/// length in terms, and which items count toward a term's document frequency.
///
/// A search without a group filter scores against the whole view (the counters the knowledge projection keeps); one
/// restricted to groups scores against the current items of those groups alone, so that another group's items change
/// neither its scores nor its order, nor reveal which words they contain.
struct BM25Collection {
    /// The number of documents.
    var documents: Int
    /// The sum of their lengths in terms.
    var totalLength: Int
    /// Whether the item with this id is one of the documents (its postings count toward document frequencies).
    var contains: (String) -> Bool
}
