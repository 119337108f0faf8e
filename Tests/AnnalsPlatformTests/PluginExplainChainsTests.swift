import Annals
import AnnalsPlatform
import Testing

/// A lattice: `app` depends on `a1`…`aWIDTH`, each of them on `b1`…`bDEPTH`, and each of those on `core`, so
/// `width × depth` chains lead from app down to core.
private func lattice(width: Int, depth: Int) -> [String: [String: [String: String]]] {
    var plugins: [String: [String: [String: String]]] = ["core": ["1.0.0": [:]]]
    let upper = (1...width).map { "a\($0)" }
    let lower = (1...depth).map { "b\($0)" }
    plugins["app"] = ["1.0.0": Dictionary(uniqueKeysWithValues: upper.map { ($0, "^1.0.0") })]
    for name in upper { plugins[name] = ["1.0.0": Dictionary(uniqueKeysWithValues: lower.map { ($0, "^1.0.0") })] }
    for name in lower { plugins[name] = ["1.0.0": ["core": "^1.0.0"]] }
    return plugins
}

/// The explanations of `names` after installing `app` from a ``lattice(width:depth:)`` in acme.
private func explainLattice(width: Int, depth: Int, _ names: [String]) async throws -> [InstallExplanation] {
    try await withPlatform { platform, directory in
        let manifest = try writeManifest(lattice(width: width, depth: depth), to: directory)
        _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
        _ = try await platform.install("app", organization: "acme", actorId: "ana")
        return try names.map { try platform.explain($0, organization: "acme") }
    }
}

@Suite("plugin explain lists at most 50 chains and says when there are more")
struct PluginExplainChainsTests {
    @Test("64 chains: the first 50 are listed, and the explanation says it is truncated")
    func moreChainsThanListed() async throws {
        let explanations = try await explainLattice(width: 8, depth: 8, ["core", "b1"])
        let why = explanations[0]
        #expect(why.chains.count == PluginPlatform.maximumExplainedChains)
        #expect(why.truncated)
        #expect(why.json.objectValue?["truncated"] == .bool(true))
        #expect(
            why.chains.first == [
                "acme asked for app ^1.0.0", "app@1.0.0 requires a1 ^1.0.0", "a1@1.0.0 requires b1 ^1.0.0",
                "b1@1.0.0 requires core ^1.0.0",
            ])
        // By the requiring plugins' names, nearest first: b1…b6 with each a, then b7 with a1 and a2.
        #expect(why.chains.last?[1] == "app@1.0.0 requires a2 ^1.0.0")
        #expect(why.chains.last?[2] == "a2@1.0.0 requires b7 ^1.0.0")
        // A plugin with fewer chains lists them all.
        let b1 = explanations[1]
        #expect(b1.chains.count == 8)
        #expect(!b1.truncated)
        #expect(b1.json.objectValue?["truncated"] == .bool(false))
    }

    @Test("exactly 50 chains are all listed, and the explanation is not truncated")
    func exactlyAsManyChainsAsListed() async throws {
        let why = try await explainLattice(width: 5, depth: 10, ["core"])[0]
        #expect(why.chains.count == 50)
        #expect(!why.truncated)
        #expect(Set(why.chains).count == 50)
    }
}
