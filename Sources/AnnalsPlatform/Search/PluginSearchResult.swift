import Annals

/// One plugin a search found: its score, and why it matched.
public struct PluginSearchResult: Sendable, Hashable {
    /// The plugin.
    public var plugin: Plugin
    /// The fused score (reciprocal rank of the semantic and lexical rankings); higher is better.
    public var score: Double
    /// The cosine similarity of the query's and the plugin's embeddings, when the semantic ranking found it.
    public var similarity: Double?
    /// The BM25 score, when the lexical ranking found it.
    public var lexicalScore: Double?
    /// Each query word that matched, with the forms of it found in the plugin's text (its stem, or a word the
    /// thesaurus relates to it): `["trade": ["trad", "swap"]]`.
    public var matches: [String: [String]]
    /// Whether the plugin is a result only because the query is its name (``PluginNameQuery``): the ranking did not
    /// find it (a name of stopwords, `the`, has no word to match), so it has no score of its own (0).
    public var foundByName = false

    /// `matched trade (trad, swap), crypto; similar meaning 0.31`: why it matched, for a person; `its name is the
    /// query` for a plugin ``foundByName``.
    public var why: String {
        if foundByName { return "its name is the query" }
        var parts: [String] = []
        if !matches.isEmpty {
            let words = matches.keys.sorted().map { word in
                let forms = matches[word, default: []].filter { $0 != word }
                return forms.isEmpty ? word : "\(word) (\(forms.joined(separator: ", ")))"
            }
            parts.append("matched " + words.joined(separator: ", "))
        }
        if let similarity { parts.append("similar meaning \(String(format: "%.2f", similarity))") }
        return parts.isEmpty ? "ranked by similarity" : parts.joined(separator: "; ")
    }

    /// The result as `annals plugin search` prints it in JSON lines.
    public var json: JSONValue {
        .object([
            "name": .string(plugin.name), "scope": .string(plugin.scope.groupId),
            "registry": .string(plugin.registry),
            "description": .string(plugin.description), "category": plugin.category.map(JSONValue.string) ?? .null,
            "latest": plugin.latest.map { .string($0.version.description) } ?? .null,
            "score": .double(score), "similarity": similarity.map(JSONValue.double) ?? .null,
            "lexicalScore": lexicalScore.map(JSONValue.double) ?? .null,
            "matches": .object(matches.mapValues { .array($0.map(JSONValue.string)) }), "why": .string(why),
        ])
    }
}
