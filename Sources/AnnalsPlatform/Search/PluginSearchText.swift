import Annals

/// The text a plugin is found by, and the expanded form of a query: both sides stemmed the same way, and the
/// query widened with a small thesaurus of the words plugin users mean interchangeably.
enum PluginSearchText {
    /// Words a query term also stands for (applied to queries only; documents keep their own words).
    static let thesaurus: [String: [String]] = [
        "crypto": ["cryptocurrency", "blockchain", "token", "defi", "web3"],
        "cryptocurrency": ["crypto", "blockchain", "token"],
        "blockchain": ["crypto", "chain", "onchain", "web3"],
        "exchange": ["dex", "swap", "trading", "market"],
        "dex": ["exchange", "swap"],
        "trade": ["trading", "swap", "order", "exchange"],
        "memory": ["storage", "persistence", "database", "remember"],
        "store": ["storage", "persist", "database", "save"],
        "storage": ["store", "database", "persistence"],
        "postgres": ["postgresql", "pg", "sql", "database"],
        "postgresql": ["postgres", "pg", "sql"],
        "database": ["db", "sql", "storage", "adapter"],
        "db": ["database", "sql"],
        "twitter": ["x", "tweet", "tweets"],
        "tweet": ["twitter", "x"],
        "chat": ["messaging", "message", "conversation"],
        "image": ["picture", "photo", "images", "generation"],
        "price": ["prices", "quote", "market"],
        "quote": ["price", "prices"],
        "llm": ["model", "ai", "inference"],
        "wallet": ["wallets", "keys", "account"],
        "voice": ["speech", "audio", "tts"],
        "speech": ["voice", "audio", "tts"],
    ]

    /// The knowledge text of a plugin: its name (split into words), description, topics, category, actions and
    /// permissions, followed by the stems of those words that differ from the words themselves.
    static func document(for plugin: Plugin) -> String {
        var parts = [plugin.name, words(ofName: plugin.name), plugin.description]
        if !plugin.topics.isEmpty { parts.append("Topics: " + plugin.topics.joined(separator: ", ")) }
        if let category = plugin.category { parts.append("Category: " + category) }
        if let latest = plugin.latest {
            let actions = latest.actions.map { "\($0.name) \(words(ofName: $0.name)) \($0.description)" }
            if !actions.isEmpty { parts.append("Actions: " + actions.joined(separator: "; ")) }
            if !latest.permissions.isEmpty {
                parts.append("Capabilities: " + latest.permissions.joined(separator: ", "))
            }
        }
        let text = parts.filter { !$0.isEmpty }.joined(separator: "\n")
        var seen: Set<String> = []
        let stems = TextTokenizer.terms(text).map(TermStemmer.stem).filter { seen.insert($0).inserted }
        return text + "\n" + stems.joined(separator: " ")
    }

    /// A query's terms, their stems and their thesaurus words (stemmed too), without duplicates, each with the
    /// query word it came from (what a result's explanation names).
    static func expandedQuery(_ query: String) -> [(form: String, queryWord: String)] {
        var seen: Set<String> = []
        var terms: [(String, String)] = []
        for term in TextTokenizer.terms(query) {
            for word in [term] + (thesaurus[term] ?? []) {
                for form in [word, TermStemmer.stem(word)] where seen.insert(form).inserted {
                    terms.append((form, term))
                }
            }
        }
        return terms
    }

    /// `plugin sql` for `@elizaos/plugin-sql`: a name's words, so they count as words.
    static func words(ofName name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : " " })
    }
}
