import Annals

extension PluginPlatform {
    /// The most ranked candidates a search looks through for visible plugins (the engine's search returns at most
    /// 1,000).
    static let maximumSearchCandidates = 1_000

    /// The least embedding similarity a plugin that shares no word with the query needs to be a result.
    static let minimumSimilarityWithoutWords = 0.2

    /// Searches the plugins `organization` can see (the global registry, narrowed by its allowlist, and its own
    /// registries; only the global registry when `organization` is `nil`), by meaning and by words, through the
    /// knowledge view.
    ///
    /// The query is stemmed and widened with a small thesaurus ("postgres" also looks for "postgresql"), then
    /// ranked by the store's hybrid search (embedding similarity fused with BM25 by reciprocal rank). A query that
    /// is a plugin's name (`@elizaos/plugin-coingecko`, or without its scope, or without `plugin-` as well) puts that
    /// plugin first (``PluginNameQuery``): the whole name before the shorter forms, then the ranking. Such a plugin is
    /// a result even when the ranking does not find it (a name of stopwords, such as `the` or `it`), after those it
    /// does find at the same strength, by name (``PluginSearchResult/foundByName``).
    /// - Parameters:
    ///   - text: What the plugin should do, in words.
    ///   - organization: Whose view to search, or `nil` for the global registry only.
    ///   - category: Only plugins of this category.
    ///   - limit: At most this many results, 1…100.
    /// - Returns: The results, best first.
    /// - Throws: ``PlatformError/invalidArgument(_:)`` for an empty (or blank) query or a limit out of range; a query of
    ///   stopwords alone is not an error, it finds the plugins close to it by meaning (usually none).
    public func search(
        _ text: String, organization: String? = nil, category: String? = nil, limit: Int = 10
    ) throws(PlatformError) -> [PluginSearchResult] {
        guard (1...100).contains(limit) else { throw .invalidArgument("search limit \(limit) is outside 1…100") }
        guard !text.allSatisfy(\.isWhitespace) else { throw .invalidArgument("the search text is empty") }
        let expanded = PluginSearchText.expandedQuery(text)
        // Text of stopwords alone ("the") has no words to match, as in the store's search: it is ranked by meaning
        // only, so it finds the plugins close enough to it, usually none, rather than failing.
        let queryText = expanded.isEmpty ? text : expanded.map(\.form).joined(separator: " ")
        let scope = try PluginScope(organization: organization)
        let visibility = try view { try PluginVisibility(scope, $0) }
        var labels = [PlatformIDs.pluginLabel]
        if let category { labels.append("category:\(category)") }
        let origin = Dictionary(expanded.map { ($0.form, $0.queryWord) }, uniquingKeysWith: { first, _ in first })
        let nameQuery = PluginNameQuery(text)
        // The plugins the text names, as the scope sees them: the candidates widen until they are all among them.
        var namedPlugins: [String: Plugin] = [:]
        if let nameQuery { namedPlugins = try view { try nameQuery.namedPlugins(visibility, category, $0) } }
        let named = Set(namedPlugins.keys)
        // Their ids, so that a hit for one is kept whatever its similarity.
        let namedIDs = Set(named.flatMap { [PlatformIDs.plugin($0, in: .global), PlatformIDs.plugin($0, in: scope)] })
        // Hidden plugins (an allowlist, withdrawals) are filtered after ranking: widen the candidates until enough
        // are left, or there are no more.
        var candidates = min(1000, limit * 4 + 20)
        while true {
            let query = SearchQuery(queryText, groupIds: visibility.groups, labels: labels, limit: candidates)
            let hits: [SearchHit]
            do {
                hits = try store.search(query)
            } catch {
                throw .store(error)
            }
            var results = try view { view in
                var results: [PluginSearchResult] = []
                var namedFound = 0
                // Enough once `limit` results include every plugin the text names (they are sorted first below).
                for hit in hits where results.count < limit || namedFound < named.count {
                    // A hit by meaning alone, far from the query (gibberish finds every plugin at about 0.01), is
                    // noise, not a result, unless the query is the plugin's name.
                    if hit.lexicalScore == nil, (hit.similarity ?? 0) < Self.minimumSimilarityWithoutWords,
                        !namedIDs.contains(hit.item.thingId)
                    {
                        continue
                    }
                    guard let thing = try view.thing(hit.item.thingId), let plugin = Plugin(thing),
                        !plugin.withdrawn, visibility.shows(plugin)
                    else { continue }
                    var matches: [String: [String]] = [:]
                    for term in hit.matchedTerms {
                        guard let word = origin[term] else { continue }
                        matches[word, default: []].append(term)
                    }
                    if named.contains(plugin.name) { namedFound += 1 }
                    results.append(
                        PluginSearchResult(
                            plugin: plugin, score: hit.score, similarity: hit.similarity,
                            lexicalScore: hit.lexicalScore, matches: matches))
                }
                return results
            }
            let complete = results.count >= limit && named.isSubset(of: Set(results.map(\.plugin.name)))
            if complete || hits.count < candidates || candidates >= Self.maximumSearchCandidates {
                // A plugin the text names that the ranking did not find at all is a result too, by name.
                let found = Set(results.map(\.plugin.name))
                for name in named.sorted() where !found.contains(name) {
                    var result = PluginSearchResult(
                        plugin: namedPlugins[name]!, score: 0, similarity: nil, lexicalScore: nil, matches: [:])
                    result.foundByName = true
                    results.append(result)
                }
                if let nameQuery {
                    // Stable: within the same strength, the ranking's order.
                    results = results.enumerated().sorted { a, b in
                        let (x, y) = (
                            nameQuery.strength(for: a.element.plugin.name),
                            nameQuery.strength(for: b.element.plugin.name)
                        )
                        return x != y ? x > y : a.offset < b.offset
                    }.map(\.element)
                }
                return Array(results.prefix(limit))
            }
            candidates = min(candidates * 4, Self.maximumSearchCandidates)
        }
    }
}
