import Annals
import AnnalsResolver

/// Why a plugin is installed: the chains of `requires` connections from it back to what the organization asked
/// for.
public struct InstallExplanation: Sendable, Hashable {
    /// The install explained.
    public var install: PluginInstall
    /// Each chain from an explicit install down to this one, such as
    /// `[acme asked for app ^1.0.0, app@1.2.0 requires db ^2.0.0]`; empty for an explicit install. At most
    /// ``PluginPlatform/maximumExplainedChains``, the first in order of the requiring plugins' names.
    public var chains: [[String]]
    /// Whether more chains lead to this install than ``chains`` lists.
    public var truncated: Bool
    /// What each dependency of this install is, and why: `db ^2.0.0 → db@2.3.1`.
    public var dependencies: [String]

    /// The explanation as `annals plugin explain` prints it.
    public var json: JSONValue {
        .object([
            "name": .string(install.name), "version": .string(install.version.description),
            "requested": install.requested.map { .string($0.description) } ?? .null,
            "chains": .array(chains.map { .array($0.map(JSONValue.string)) }), "truncated": .bool(truncated),
            "dependencies": .array(dependencies.map(JSONValue.string)),
        ])
    }
}

extension PluginPlatform {
    /// The most chains ``explain(_:organization:)`` lists: a plugin that many others depend on through many paths
    /// has more chains than anyone reads (and exponentially many in a deep lattice).
    public static let maximumExplainedChains = 50

    /// Why `name` is installed in `organization`: asked for directly, and/or required by other installs, traced
    /// back to what the organization asked for (at most ``maximumExplainedChains`` chains, saying whether there are
    /// more); and why each of its dependencies is there.
    /// - Throws: ``PlatformError/notFound(_:)`` when it is not installed.
    public func explain(_ name: String, organization: String) throws(PlatformError) -> InstallExplanation {
        let org = try PluginScope.checkedOrganization(organization)
        let state = try view { try OrganizationState(organization: org, $0) }
        let install = try state.install(name)
        let byId = Dictionary(uniqueKeysWithValues: state.installs.values.map { ($0.thingId, $0) })
        var requiredBy: [String: [(PluginInstall, String)]] = [:]
        for (from, edges) in state.requires {
            guard let dependent = byId[from] else { continue }
            for edge in edges {
                requiredBy[edge.toId, default: []].append((dependent, edge.properties["range"]?.stringValue ?? "*"))
            }
        }
        var chains: [[String]] = []
        func walk(_ current: PluginInstall, _ suffix: [String], _ seen: Set<String>) {
            if let range = current.requested {
                chains.append(["\(org) asked for \(current.name) \(range)"] + suffix)
            }
            for (dependent, range) in (requiredBy[current.thingId] ?? []).sorted(by: { $0.0.name < $1.0.name })
            where !seen.contains(dependent.thingId) && chains.count <= Self.maximumExplainedChains {
                walk(
                    dependent, ["\(dependent.name)@\(dependent.version) requires \(current.name) \(range)"] + suffix,
                    seen.union([dependent.thingId]))
            }
        }
        // One chain past the limit is looked for, to know whether there are more.
        walk(install, [], [install.thingId])
        let truncated = chains.count > Self.maximumExplainedChains
        let dependencies = (state.requires[install.thingId] ?? []).compactMap { edge -> String? in
            guard let target = byId[edge.toId] else { return nil }
            return "\(target.name) \(edge.properties["range"]?.stringValue ?? "*") → \(target.name)@\(target.version)"
        }.sorted()
        return InstallExplanation(
            install: install, chains: Array(chains.prefix(Self.maximumExplainedChains)), truncated: truncated,
            dependencies: dependencies)
    }

    /// The plugins installed in `organization`, by name.
    public func installs(organization: String) throws(PlatformError) -> [PluginInstall] {
        let org = try PluginScope.checkedOrganization(organization)
        let state = try view { try OrganizationState(organization: org, $0) }
        return state.installs.keys.sorted().map { state.installs[$0]! }
    }
}
