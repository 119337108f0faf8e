import Annals
@testable import AnnalsPlatform
import Foundation
import Testing

/// A small labelled query set over the real ElizaOS registry: for each query, the plugins a person would want.
let labelledQueries: [(query: String, relevant: Set<String>)] = [
    (
        "trade on a crypto exchange",
        [
            "plugin-ccxt", "plugin-desk-exchange", "plugin-binance", "plugin-hyperliquid", "plugin-arbitrage",
            "plugin-arthur-dex",
        ]
    ),
    (
        "store agent memory in postgres",
        ["adapter-postgres", "plugin-sql", "adapter-pglite", "plugin-memory", "adapter-supabase"]
    ),
    (
        "post tweets on twitter",
        ["plugin-twitter", "client-twitter", "client-twitter-api-access", "plugin-clara-twitter"]
    ),
    ("generate images", ["plugin-image-generation", "plugin-image"]),
    (
        "text to speech voice",
        ["plugin-tts", "plugin-elevenlabs", "plugin-edge-tts", "plugin-speech-tts", "plugin-simple-voice"]
    ),
    ("current weather forecast", ["plugin-open-weather"]),
    (
        "search the web for news",
        [
            "plugin-web-search", "plugin-news", "plugin-definews", "plugin-browser", "plugin-research",
            "plugin-firecrawl",
        ]
    ),
    (
        "solana wallet tokens",
        ["plugin-solana", "plugin-solana-agent-kit", "plugin-solana-agentkit", "plugin-solana-v2"]
    ),
    ("run a local llm with ollama", ["plugin-ollama", "plugin-local-ai"]),
    ("discord bot", ["plugin-discord", "client-discord"]),
    ("mint nft collections", ["plugin-nft-collections", "plugin-nft-generation"]),
    ("redis cache", ["cache-redis"]),
]

@Suite("Plugin search")
struct PluginSearchTests {
    @Test("the labelled queries find relevant plugins in the top 5 of the real registry (recall@5)")
    func recallAtFive() async throws {
        let registry = try ElizaRegistry.require()
        try await withPlatform { platform, _ in
            _ = try await platform.sync(RegistrySource(registry), scope: .global, actorId: "ops")
            var recall = 0.0
            var hits = 0
            for (query, relevant) in labelledQueries {
                let top = try platform.search(query, limit: 5).map {
                    $0.plugin.name.replacingOccurrences(of: "@elizaos/", with: "")
                }
                let found = relevant.intersection(top).count
                recall += Double(found) / Double(min(relevant.count, 5))
                if found > 0 { hits += 1 } else { Issue.record("nothing relevant for '\(query)' in \(top)") }
            }
            recall /= Double(labelledQueries.count)
            print(
                "plugin search over the ElizaOS registry: recall@5 \(recall), hit rate@5 \(hits)/\(labelledQueries.count)"
            )
            #expect(hits == labelledQueries.count)
            #expect(recall >= 0.6)
        }
    }

    @Test("each result says why it matched; categories filter; an empty query is refused")
    func explanationsAndFilters() async throws {
        let registry = try ElizaRegistry.require()
        try await withPlatform { platform, _ in
            _ = try await platform.sync(RegistrySource(registry), scope: .global, actorId: "ops")
            let results = try platform.search("store agent memory in postgres", limit: 5)
            let postgres = try #require(results.first { $0.plugin.name == "@elizaos/adapter-postgres" })
            #expect(postgres.matches["postgres"]?.contains("postgresql") == true)
            #expect(postgres.why.hasPrefix("matched "))
            let storage = try platform.search("memory", category: "storage", limit: 10)
            #expect(!storage.isEmpty)
            #expect(storage.allSatisfy { $0.plugin.category == "storage" })
            #expect(throws: PlatformError.self) { try platform.search("   ") }
            #expect(throws: PlatformError.self) { try platform.search("x", limit: 0) }
            // Words no plugin has find nothing, rather than every plugin at a similarity of about 0.01.
            #expect(try platform.search("zzqqxx").isEmpty)
            #expect(try platform.search("ö∑ qqvvkk").isEmpty)
            // Stopwords alone are no error, as in the store's search (`annals search "the"` exits 0).
            #expect(try platform.search("the").allSatisfy { ($0.similarity ?? 0) >= 0.2 })
        }
    }

    @Test("a plugin's name finds that plugin first: whole, without its scope, or without plugin- as well")
    func namesComeFirst() async throws {
        let registry = try ElizaRegistry.require()
        try await withPlatform { platform, _ in
            _ = try await platform.sync(RegistrySource(registry), scope: .global, actorId: "ops")
            let names = try platform.plugins().map(\.name).filter { $0.hasPrefix("@elizaos/plugin-") }
            #expect(names.count > 100)
            var missed: [String] = []
            for name in names {
                let unscoped = String(name.dropFirst("@elizaos/".count))
                let bare = String(unscoped.dropFirst("plugin-".count))
                for text in [name, name.uppercased()] {
                    let first = try platform.search(text, limit: 3).first?.plugin.name
                    if first != name { missed.append("\(text) → \(first ?? "nothing")") }
                }
                // Without its scope, a name may be two plugins' (`@elizaos/plugin-mattermost`, `@bealers/…`).
                let top = try platform.search(unscoped, limit: 3).map(\.plugin.name)
                if !(top.first?.hasSuffix("/" + unscoped) ?? false) || !top.contains(name) {
                    missed.append("\(unscoped) → \(top)")
                }
                // A bare word may name other plugins too (`solana` and `@elizaos/client-solana`): among the first.
                let found = try platform.search(bare, limit: 5).map(\.plugin.name)
                if !found.contains(name) { missed.append("\(bare) → \(found)") }
            }
            #expect(missed.isEmpty, "\(missed.count) missed: \(missed.prefix(10))")
        }
    }

    @Test("of two names that differ only in case, the one typed exactly comes first, with its registry")
    func exactCaseComesFirst() async throws {
        try await withPlatform { platform, directory in
            let genuine = "@elizaos/plugin-coingecko"
            let lookalike = "@elizaOS/plugin-coingecko"
            for (name, registry) in [(genuine, "genuine"), (lookalike, "lookalike")] {
                let path = try writeManifest([name: ["1.0.0": [:]]], to: directory, name: registry)
                _ = try await platform.sync(RegistrySource(path), scope: .global, actorId: "ops")
            }
            // Each query finds the name typed exactly first, whatever the ranking's order of the two: the one order
            // cannot suit both queries.
            for (typed, other) in [(genuine, lookalike), (lookalike, genuine)] {
                let results = try platform.search(typed, limit: 5)
                #expect(results.map(\.plugin.name).prefix(2) == [typed, other])
                #expect(results.first?.json["registry"]?.stringValue == (typed == genuine ? "genuine" : "lookalike"))
            }
            // Without its scope, the case of the rest decides as well.
            let upper = "Plugin-CoinGecko"
            #expect(PluginNameQuery(upper)?.strength(for: genuine) == 2)
            #expect(PluginNameQuery("plugin-coingecko")?.strength(for: genuine) == 3)
            #expect(PluginNameQuery(genuine)?.strength(for: genuine) == 5)
            #expect(PluginNameQuery(genuine)?.strength(for: lookalike) == 4)
        }
    }

    @Test("a plugin named by stopwords (the, a, plugin-it) is found by its name, first, whatever the ranking says")
    func stopwordNames() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                [
                    "the": ["1.0.0": [:]], "a": ["1.0.0": [:]], "@x/plugin-it": ["1.0.0": [:]],
                    "@x/plugin-weather": ["1.0.0": [:]], "notes": ["1.0.0": [:]],
                ], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            for (text, name) in [("the", "the"), ("THE", "the"), ("a", "a"), ("it", "@x/plugin-it")] {
                let results = try platform.search(text, limit: 3)
                #expect(results.first?.plugin.name == name, "\(text) → \(results.map(\.plugin.name))")
                #expect(try platform.search(text, limit: 3) == results, "the same results every time")
            }
            // Besides the plugin it names, a stopword query keeps only what is close to it by meaning: nothing here.
            let the = try platform.search("the", limit: 10)
            #expect(the.map(\.plugin.name) == ["the"])
            // The engine finds nothing for stopwords alone: the plugin comes from its name, with no score.
            let named = try #require(the.first)
            #expect(named.foundByName)
            #expect(named.why == "its name is the query")
            #expect(named.score == 0 && named.similarity == nil && named.lexicalScore == nil)
            // A category the plugin does not have leaves it out, as for any result.
            #expect(try platform.search("the", category: "storage").isEmpty)
            // An organization's own plugin of that name is the one it finds; an allowlist that hides the global one
            // hides it from its name too.
            let own = try writeManifest(["a": ["2.0.0": [:]]], to: directory, name: "own")
            _ = try await platform.sync(RegistrySource(own), scope: .organization("acme"), actorId: "ops")
            _ = try await platform.setAllowlist(["notes"], organization: "acme", actorId: "ops")
            #expect(try platform.search("the", organization: "acme").isEmpty)
            let a = try platform.search("a", organization: "acme")
            #expect(a.map { [$0.plugin.name, $0.plugin.scope.groupId] } == [["a", "acme"]])
        }
    }

    @Test("an allowlist narrower than the first candidates still finds what it allows")
    func narrowAllowlists() async throws {
        let registry = try ElizaRegistry.require()
        try await withPlatform { platform, _ in
            _ = try await platform.sync(RegistrySource(registry), scope: .global, actorId: "ops")
            _ = try await platform.setAllowlist(["@elizaos/plugin-pdf"], organization: "zeta", actorId: "ops")
            let results = try platform.search("plugin", organization: "zeta", limit: 5)
            #expect(results.map(\.plugin.name) == ["@elizaos/plugin-pdf"])
        }
    }
}
