import LMDB

/// How ``EventStore/search(_:)`` ranks knowledge.
public enum SearchMode: String, Sendable, CaseIterable {
    /// Vector similarity and BM25, fused by reciprocal rank (the default).
    case hybrid
    /// Exact cosine similarity of embeddings only.
    case vector
    /// BM25 over the text only.
    case lexical
}

/// A search of the knowledge view.
public struct SearchQuery: Sendable, Hashable {
    /// The text to search for.
    public var text: String
    /// Only items of this group. A search restricted to groups (this or ``groupIds``) computes BM25's statistics
    /// (document count, average length, document frequencies) over the current items of those groups alone, so that
    /// other groups' items change neither its scores nor its order.
    public var groupId: String?
    /// Only items of one of these groups (together with ``groupId``, when both are set): what a tenant that
    /// sees a shared group besides its own searches.
    public var groupIds: Set<String>?
    /// Only items carrying every one of these labels. Labels narrow the hits, not BM25's statistics: an item scores
    /// the same with or without a label filter.
    public var labels: [String]
    /// At most this many hits.
    public var limit: Int
    /// How to rank.
    public var mode: SearchMode

    /// A search for `text`.
    public init(
        _ text: String, groupId: String? = nil, groupIds: Set<String>? = nil, labels: [String] = [], limit: Int = 10,
        mode: SearchMode = .hybrid
    ) {
        self.text = text
        self.groupId = groupId
        self.groupIds = groupIds
        self.labels = labels
        self.limit = limit
        self.mode = mode
    }
}

extension SearchQuery {
    /// The query with its groups and labels in the canonical spelling (NFC) the view stores them in.
    var canonicalSpelling: SearchQuery {
        var query = self
        query.groupId = groupId?.canonicalSpelling
        query.groupIds = groupIds.map { Set($0.map(\.canonicalSpelling)) }
        query.labels = labels.map(\.canonicalSpelling)
        return query
    }

    /// The groups the search is restricted to (``groupId`` and ``groupIds`` together), or `nil` when it searches
    /// every group.
    var restrictedGroups: Set<String>? {
        guard groupId != nil || groupIds != nil else { return nil }
        return (groupIds ?? []).union(groupId.map { [$0] } ?? [])
    }
}

/// A knowledge item a search found, with its score and why it matched.
public struct SearchHit: Sendable, Hashable {
    /// The item.
    public var item: KnowledgeItem
    /// The fused score (hybrid), the cosine similarity (vector) or the BM25 score (lexical).
    public var score: Double
    /// The cosine similarity of the item's embedding to the query's, when it ranked by vector.
    public var similarity: Double?
    /// Its rank by vector similarity, from 1, when it is among the first 1,000 of a hybrid search or a hit of a
    /// vector one.
    public var vectorRank: Int?
    /// Its BM25 score, when it matched query terms (in a hybrid search, when it is among the first 1,000 by BM25).
    public var lexicalScore: Double?
    /// Its rank by BM25, from 1.
    public var lexicalRank: Int?
    /// The query terms (stemmed) found in its text.
    public var matchedTerms: [String]

    /// The hit as JSON: `item` (the item's fields), `score`, `similarity`, `vectorRank`, `lexicalScore`,
    /// `lexicalRank` and `matchedTerms`.
    public var json: JSONValue {
        .object([
            "item": item.json, "score": .double(score), "similarity": similarity.map(JSONValue.double) ?? .null,
            "vectorRank": vectorRank.map(JSONValue.integer) ?? .null,
            "lexicalScore": lexicalScore.map(JSONValue.double) ?? .null,
            "lexicalRank": lexicalRank.map(JSONValue.integer) ?? .null,
            "matchedTerms": .array(matchedTerms.map(JSONValue.string)),
        ])
    }
}

extension EventStore {
    /// Searches the knowledge view: exact cosine similarity over every embedding (filtered by group and labels),
    /// BM25 over the text, or both fused by reciprocal rank (k = 60).
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for an empty query or a limit outside 1…1000,
    ///   ``AnnalsError/projectionUnavailable(name:reason:)`` when the knowledge view is not up to date.
    public func search(_ query: SearchQuery) throws(AnnalsError) -> [SearchHit] {
        // Groups and labels in the canonical spelling (NFC) the view stores them in.
        let query = query.canonicalSpelling
        guard (1...1000).contains(query.limit) else {
            throw .invalidArgument("search limit \(query.limit) is outside 1…1000")
        }
        guard !query.text.allSatisfy(\.isWhitespace) else { throw .invalidArgument("the search text is empty") }
        guard let entry = projections.entry("knowledge"), let knowledge = entry.projection as? KnowledgeProjection
        else {
            throw .projectionUnavailable(name: "knowledge", reason: "search needs the built-in knowledge projection")
        }
        let embedder = knowledge.embedder
        let queryVector = query.mode == .lexical ? [] : embedder.embed(query.text)
        if query.mode != .lexical, queryVector.count != embedder.dimensions {
            throw .invalidArgument(
                "the embedder \(embedder.identifier) made a query vector of \(queryVector.count) components, but it "
                    + "declares \(embedder.dimensions) dimensions")
        }
        do {
            return try readingLiveViews {
                try environment.read { txn in
                    let head = try txn.lastOffset(schema)
                    let tables = try liveTables("knowledge", head: head, txn.handle)
                    let slot = try projections.state("knowledge", txn.handle)!.slot
                    let changed = try KnowledgeProjection.counter(
                        KnowledgeProjection.stats, key: KnowledgeProjection.changedKey, in: tables)
                    var similarity: [String: (rank: Int, score: Float)] = [:]
                    var vectorRanking: [String] = []
                    var lexical: [String: (rank: Int, score: Double, terms: [String])] = [:]
                    var lexicalRanking: [String] = []
                    try vectorCache.withIndex(
                        slot: slot, changedOffset: changed, dimensions: knowledge.embedder.dimensions, tables: tables,
                        store: self
                    ) { index in
                        let (groups, labels, alive) = (index.groups, index.labels, index.alive)
                        let (groupId, groupIds) = (query.groupId, query.groupIds)
                        let inGroups = { @Sendable (group: String?) -> Bool in
                            if groupId == nil, groupIds == nil { return true }
                            guard let group else { return false }
                            return group == groupId || groupIds?.contains(group) == true
                        }
                        let allowed = { @Sendable (row: Int) -> Bool in
                            alive[row] && inGroups(groups[row]) && query.labels.allSatisfy(labels[row].contains)
                        }
                        // A fixed depth, whatever the limit, so that a smaller limit's hits are the first of a larger
                        // one's.
                        let depth = query.mode == .hybrid ? Self.fusedDepth : query.limit
                        if query.mode != .lexical {
                            // Ties by id: rows are appended as items change, so their order is the cache's
                            // history, which a fresh process (or a rebuilt cache) does not share.
                            let ids = index.ids
                            let found = index.matrix.topK(
                                query: queryVector, k: depth, where: allowed, ranksFirst: { ids[$0] < ids[$1] })
                            for (rank, hit) in found.enumerated() where hit.score > 0 {
                                // Unit vectors' dot product, which rounding can put a hair past 1.
                                similarity[index.ids[hit.row]] = (rank + 1, min(hit.score, 1))
                                vectorRanking.append(index.ids[hit.row])
                            }
                        }
                        if query.mode != .vector {
                            let rows = index.rows
                            // Restricted to groups, the statistics are those groups' alone (labels narrow the hits,
                            // not the statistics): another group's items must not move this one's scores.
                            let collection = query.restrictedGroups.map(index.lexicalCollection(of:))
                            let lexicalHits = try Self.bm25(query.text, tables, collection: collection) { id in
                                rows[id].map(allowed) ?? false
                            }
                            for (rank, hit) in lexicalHits.prefix(depth).enumerated() {
                                lexical[hit.id] = (rank + 1, hit.score, hit.terms)
                                lexicalRanking.append(hit.id)
                            }
                        }
                    }
                    let ranked: [(id: String, score: Double)] =
                        switch query.mode {
                        case .hybrid: ReciprocalRankFusion.fuse([vectorRanking, lexicalRanking])
                        case .vector: vectorRanking.map { ($0, Double(similarity[$0]!.score)) }
                        case .lexical: lexicalRanking.map { ($0, lexical[$0]!.score) }
                        }
                    var hits: [SearchHit] = []
                    for (id, score) in ranked.prefix(query.limit) {
                        guard let item = try KnowledgeProjection.item(id, in: tables) else { continue }
                        hits.append(
                            SearchHit(
                                item: item, score: score, similarity: similarity[id].map { Double($0.score) },
                                vectorRank: similarity[id]?.rank, lexicalScore: lexical[id]?.score,
                                lexicalRank: lexical[id]?.rank, matchedTerms: lexical[id]?.terms ?? []))
                    }
                    return hits
                }
            }
        } catch {
            throw AnnalsError(error)
        }
    }

    /// How much of each ranking, by vector similarity and by BM25, a hybrid search fuses: the first 1,000, the most
    /// hits a search returns. Fixed, so that the hits of a smaller limit are the first hits of a larger one (a depth
    /// that grew with the limit left an item out of a small limit's fusion and put it first in a large one's).
    static let fusedDepth = 1_000

    /// BM25 scores of the items that contain query terms and pass `include`, best first (ties by id).
    ///
    /// The statistics (document count, average document length, each term's document frequency) are those of
    /// `collection` when given, counting document frequencies from the postings of its items; otherwise those of the
    /// whole view, from the counters the projection keeps.
    static func bm25(
        _ text: String, _ tables: any ProjectionReader, collection: BM25Collection? = nil,
        include: (String) -> Bool
    ) throws -> [(id: String, score: Double, terms: [String])] {
        let terms = Array(Set(TextTokenizer.terms(text).map(TextTokenizer.stem))).sorted()
        let documents: Int
        let length: Int
        if let collection {
            (documents, length) = (collection.documents, collection.totalLength)
        } else {
            documents = Int(
                try KnowledgeProjection.counter(
                    KnowledgeProjection.stats, key: KnowledgeProjection.documentsKey, in: tables))
            length = Int(
                try KnowledgeProjection.counter(
                    KnowledgeProjection.stats, key: KnowledgeProjection.lengthKey, in: tables))
        }
        guard documents > 0, !terms.isEmpty else { return [] }
        let average = Double(length) / Double(documents)
        let scorer = BM25()
        var scores: [String: (score: Double, terms: [String])] = [:]
        for term in terms {
            var frequency = 0
            if collection == nil {
                frequency = Int(
                    try KnowledgeProjection.counter(KnowledgeProjection.termStats, key: Array(term.utf8), in: tables))
                guard frequency > 0 else { continue }
            }
            // One pass over the term's postings: the collection's document frequency, and the postings to score.
            var postings: [(id: String, termFrequency: Int, documentLength: Int)] = []
            try tables.scan(KnowledgeProjection.terms, prefix: OntologyKey.prefix(term)) { key, value in
                guard value.count == 8 else { return true }
                let id = OntologyKey.lastPart(key)
                if let collection, collection.contains(id) { frequency += 1 }
                guard include(id) else { return true }
                postings.append(
                    (
                        id, Int(UInt32(bigEndianBytes: value, at: 0)),
                        Int(UInt32(bigEndianBytes: value, at: 4))
                    ))
                return true
            }
            for posting in postings {
                let score = scorer.score(
                    termFrequency: posting.termFrequency, documentLength: posting.documentLength,
                    documentFrequency: frequency, documentCount: documents, averageDocumentLength: average)
                scores[posting.id, default: (0, [])].score += score
                scores[posting.id, default: (0, [])].terms.append(term)
            }
        }
        return scores.map { ($0.key, $0.value.score, $0.value.terms) }.sorted {
            $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id
        }
    }
}
