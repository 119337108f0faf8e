import Annals

/// `search.vector.p50` and `search.vector.p99`: ``EventStore/search(_:)`` in `.vector` mode (exact cosine
/// similarity over every embedding, top 10) on a knowledge base of 100,000 items about 5,000 things, each embedded
/// by the store's default embedder (384 dimensions, stored as Float16).
///
/// One untimed search first builds the engine's in-memory matrix; then ``BenchSettings/searchQueries`` searches
/// are timed one by one. The informational baseline is a plain single-threaded scan in this process over the same
/// texts' embeddings as Float32 (SIMD dot products and a top-10 list), with the query embedded the same way: what
/// an exact search costs without the engine. The `.lexical` and `.hybrid` modes of the same queries, and one
/// search after an unrelated append, are timed for the progress lines.
enum VectorSearchBenchmarks {
    /// The most the median may be, in milliseconds.
    static let p50LimitMilliseconds = 10.0
    /// Hits per search.
    static let limit = 10

    /// Fills a knowledge base, searches it, and records the percentiles.
    /// - Throws: ``AnnalsError`` from the engine; ``BenchError`` when the store or a search comes back wrong.
    static func run(settings: BenchSettings, report: BenchReport, isolation: isolated (any Actor)? = #isolation)
        async throws
    {
        let shape = settings.knowledgeBase
        let workload = OntologyWorkload.make(shape, seed: settings.seed ^ 0x5EA2C4)
        let queries = OntologyWorkload.searchQueries(settings.searchQueries + 1, seed: settings.seed)
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            progress(
                "filling a store for search.vector: \(shape.things) things, then \(shape.knowledge) knowledge "
                    + "items, pipelined, .noSync")
            do {
                let store = try EventStore(
                    path: path, options: StoreOptions(durability: .noSync, snapshotInterval: 0))
                defer { store.close() }
                let seconds = try AppendClients.pipelined(
                    workload.batches(of: settings.batchSize), to: store, depth: settings.pipelineDepth)
                try AppendBenchmarks.expectHead(of: store, workload.events.count)
                progress(
                    "  \(whole(Double(workload.events.count) / seconds)) events/s in "
                        + "\(fixedPoint(seconds, decimals: 2)) s")
            }
            let store = try EventStore(path: path)
            defer { store.close() }
            let items = try store.read { try $0.knowledge(KnowledgeFilter(limit: Int.max)).count }
            guard items == shape.knowledge else {
                throw BenchError(
                    call: "EventStore.read", code: 0,
                    message: "the view holds \(items) knowledge items, not "
                        + "\(shape.knowledge)")
            }

            progress("search.vector: \(queries.count - 1) searches of \(items) embeddings, after one warm-up")
            let (_, warmUp) = try timed { try store.search(SearchQuery(queries[0], limit: limit, mode: .vector)) }
            progress("  warm-up (builds the in-memory matrix): \(fixedPoint(warmUp * 1_000, decimals: 1)) ms")
            var engineHits: [[String]] = []
            let vector = try LatencySamples(
                milliseconds: queries.dropFirst().map { text in
                    let (hits, seconds) = try timed { try store.search(SearchQuery(text, limit: limit, mode: .vector)) }
                    guard !hits.isEmpty else {
                        throw BenchError(call: "EventStore.search", code: 0, message: "no hits for '\(text)'")
                    }
                    engineHits.append(hits.map(\.item.id))
                    return seconds * 1_000
                })
            progress("  \(vector.summary)")
            for mode in [SearchMode.lexical, .hybrid] {
                let samples = try LatencySamples(
                    milliseconds: queries.dropFirst().map { text in
                        try timed { try store.search(SearchQuery(text, limit: limit, mode: mode)) }.seconds * 1_000
                    })
                progress("  the same searches in .\(mode.rawValue) mode: \(samples.summary)")
            }

            _ = try await store.append(NewEvent(type: "bench.tick", metadata: ["note": "not knowledge"]))
            let (_, afterAppend) = try timed {
                try store.search(SearchQuery(queries[1], limit: limit, mode: .vector))
            }
            progress(
                "  one search after appending one event that is not knowledge: "
                    + "\(fixedPoint(afterAppend * 1_000, decimals: 1)) ms")
            if let thing = workload.createdThings.first?.id {
                _ = try await store.append(
                    NewEvent(
                        type: OntologyEventType.knowledgeAdded, targetId: "bench-extra-note", groupId: nil,
                        metadata: ["thingId": .string(thing), "text": .string(queries[1])]))
                let (_, afterKnowledge) = try timed {
                    try store.search(SearchQuery(queries[1], limit: limit, mode: .vector))
                }
                progress(
                    "  one search after appending one knowledge item (the matrix is updated, not rebuilt): "
                        + "\(fixedPoint(afterKnowledge * 1_000, decimals: 1)) ms")
            }

            progress("search.vector baseline: plain Float32 scan of the same texts' embeddings, one thread")
            let (scan, building) = timed { PlainVectorScan(workload) }
            progress("  \(scan.count) texts embedded in \(fixedPoint(building, decimals: 2)) s")
            var agreeing = 0
            let baseline = LatencySamples(
                milliseconds: zip(queries.dropFirst(), engineHits).map { text, engine in
                    let (ids, seconds) = timed { scan.search(text, limit: limit) }
                    agreeing += Set(ids).intersection(engine).count
                    return seconds * 1_000
                })
            progress(
                "  \(baseline.summary); \(agreeing) of \(engineHits.count * limit) engine hits are in the plain "
                    + "scan's top \(limit) (Float16 rounding reorders near ties)")
            report.recordPercentiles(
                "search.vector", samples: vector,
                p50Target: AbsoluteTarget(direction: .atMost, limit: p50LimitMilliseconds, text: "<= 10 ms"),
                baseline: ("plain Float32 scan, one thread", baseline))
        }
    }
}

/// The baseline's exact search: every knowledge text of a workload embedded by the store's default embedder into
/// one row-major Float32 matrix, scanned with SIMD dot products.
private struct PlainVectorScan {
    /// The embedder the knowledge projection uses by default.
    let embedder = FeatureHashingEmbedder()
    /// The knowledge ids, row by row.
    let ids: [String]
    /// The embeddings, `embedder.dimensions` floats per row.
    let vectors: [Float]

    /// The number of rows.
    var count: Int { ids.count }

    /// Embeds the text of every `knowledge.added` event of `workload`.
    init(_ workload: OntologyWorkload) {
        var ids: [String] = []
        var vectors: [Float] = []
        for event in workload.events where event.type == OntologyEventType.knowledgeAdded {
            guard let id = event.targetId, let text = event.metadata["text"]?.stringValue else { continue }
            ids.append(id)
            vectors += embedder.embed(text)
        }
        self.ids = ids
        self.vectors = vectors
    }

    /// The ids of the `limit` rows most similar to `text`'s embedding (the embeddings are normalized, so the dot
    /// product is the cosine), best first.
    func search(_ text: String, limit: Int) -> [String] {
        let query = embedder.embed(text)
        let dimensions = embedder.dimensions
        precondition(dimensions % 8 == 0, "the scan reads 8 floats at a time")
        var best: [(score: Float, row: Int)] = []
        best.reserveCapacity(limit + 1)
        vectors.withUnsafeBytes { matrix in
            query.withUnsafeBytes { queryBytes in
                let stride = dimensions * MemoryLayout<Float>.stride
                for row in 0..<count {
                    var sum = SIMD8<Float>()
                    for chunk in Swift.stride(from: 0, to: stride, by: 32) {
                        sum +=
                            matrix.loadUnaligned(fromByteOffset: row * stride + chunk, as: SIMD8<Float>.self)
                            * queryBytes.loadUnaligned(fromByteOffset: chunk, as: SIMD8<Float>.self)
                    }
                    let score = sum.sum()
                    guard best.count < limit || score > best[best.count - 1].score else { continue }
                    let position = best.firstIndex { $0.score < score } ?? best.count
                    best.insert((score, row), at: position)
                    if best.count > limit { best.removeLast() }
                }
            }
        }
        return best.map { ids[$0.row] }
    }
}
