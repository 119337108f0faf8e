import Annals

/// Gives registry entries without a declared category one inferred from their words, so that
/// `annals plugin search --category` works on the ElizaOS registry too. The rules are fixed and documented
/// (docs/PLUGINS.md); the first category with a matching word wins, in the order below.
enum CategoryInference {
    /// Each category with the words that place a plugin in it.
    static let rules: [(category: String, words: Set<String>)] = [
        (
            "blockchain",
            [
                "blockchain", "crypto", "cryptocurrency", "defi", "token", "tokens", "wallet", "wallets", "nft",
                "nfts", "dex", "swap", "swaps", "solana", "ethereum", "evm", "bitcoin", "onchain", "chain",
                "web3", "staking", "trading", "exchange", "perpetuals", "perps", "x402", "lending",
            ]
        ),
        (
            "storage",
            [
                "database", "sql", "postgres", "postgresql", "sqlite", "mongodb", "redis", "memory", "storage",
                "vector", "embeddings", "adapter", "persistence", "supabase", "pglite",
            ]
        ),
        (
            "social",
            [
                "twitter", "discord", "telegram", "slack", "farcaster", "bluesky", "mattermost", "whatsapp",
                "social", "chat", "messaging", "email", "instagram", "lens", "nostr", "reddit",
            ]
        ),
        (
            "media",
            ["image", "images", "video", "audio", "speech", "voice", "tts", "music", "transcription", "vision"]
        ),
        (
            "ai",
            [
                "llm", "openai", "anthropic", "model", "models", "inference", "ollama", "gemini", "groq",
                "openrouter", "embedding", "ai",
            ]
        ),
        ("data", ["api", "data", "analytics", "search", "news", "weather", "browser", "scraping", "web"]),
    ]

    /// The category of an entry, or `nil` when no rule matches.
    static func category(name: String, description: String, topics: [String]) -> String? {
        let words = Set(TextTokenizer.terms(([name, description] + topics).joined(separator: " ")))
        return rules.first { !$0.words.isDisjoint(with: words) }?.category
    }
}
