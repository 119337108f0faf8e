import Annals
import AnnalsResolver

/// An update notification: an installed plugin with a newer version (or at a version its registry yanked), and
/// whether moving to the newest is breaking.
public struct OutdatedPlugin: Sendable, Hashable {
    /// The installed plugin.
    public var name: String
    /// The installed version.
    public var current: SemanticVersion
    /// The newest version in the range the organization asked for (what `update` moves to when it keeps the
    /// range), or `nil` when it is installed only as a dependency.
    public var wanted: SemanticVersion?
    /// The newest published version.
    public var latest: SemanticVersion
    /// Why moving to ``latest`` is breaking: a major bump (a minor bump below 1.0.0), removed actions, expanded
    /// permissions; empty when it is not.
    public var breakingReasons: [String]
    /// Whether the install is pinned (updates leave it alone until it is unpinned).
    public var pinned: Bool
    /// Whether the installed version is yanked: its registry no longer lists it (it keeps working where installed).
    public var yanked = false

    /// Whether moving to ``latest`` is breaking.
    public var breaking: Bool { !breakingReasons.isEmpty }

    /// The notification as `annals plugin outdated` prints it.
    public var json: JSONValue {
        .object([
            "name": .string(name), "current": .string(current.description),
            "wanted": wanted.map { .string($0.description) } ?? .null, "latest": .string(latest.description),
            "breaking": .bool(breaking), "why": .array(breakingReasons.map(JSONValue.string)), "pinned": .bool(pinned),
            "yanked": .bool(yanked),
        ])
    }
}

extension PluginPlatform {
    /// The installs of `organization` that have a newer version, with whether the update is breaking.
    public func outdated(organization: String) throws(PlatformError) -> [OutdatedPlugin] {
        let org = try PluginScope.checkedOrganization(organization)
        let state = try view { try OrganizationState(organization: org, $0) }
        var result: [OutdatedPlugin] = []
        for install in state.installs.values.sorted(by: { $0.name < $1.name }) {
            guard let plugin = state.plugins[install.name], let latest = newest(of: plugin, for: install.version)
            else { continue }
            let current = plugin.release(install.version)
            // An install at a version its registry no longer lists is reported whatever the latest is.
            let yanked = current?.yanked == true
            guard latest.version > install.version || yanked else { continue }
            var reasons: [String] = []
            if latest.version > install.version, !compatible(install.version, latest.version) {
                reasons.append(
                    install.version.major == 0 && latest.version.major == 0
                        ? "minor bump below 1.0.0 (\(install.version) → \(latest.version))"
                        : "major bump (\(install.version) → \(latest.version))")
            }
            if latest.version > install.version, let current {
                let removed = Set(current.actions.map(\.name)).subtracting(latest.actions.map(\.name)).sorted()
                if !removed.isEmpty { reasons.append("removed actions: " + removed.joined(separator: ", ")) }
                let added = Set(latest.permissions).subtracting(current.permissions).sorted()
                if !added.isEmpty { reasons.append("asks for more permissions: " + added.joined(separator: ", ")) }
            }
            let wanted = install.requested.flatMap { range in
                plugin.releases.last { !$0.yanked && range.contains($0.version) }?.version
            }
            result.append(
                OutdatedPlugin(
                    name: install.name, current: install.version, wanted: wanted, latest: latest.version,
                    breakingReasons: reasons, pinned: install.pinned, yanked: yanked))
        }
        return result
    }

    /// The newest release worth offering: the newest stable one, or the newest prerelease when the install is
    /// itself a prerelease or the plugin has only prereleases.
    func newest(of plugin: Plugin, for installed: SemanticVersion) -> PluginRelease? {
        installed.prerelease.isEmpty ? plugin.latest : plugin.releases.last { !$0.yanked }
    }

    /// Whether `new` is within `^old` (npm's caret: same major, or same minor below 1.0.0).
    private func compatible(_ old: SemanticVersion, _ new: SemanticVersion) -> Bool {
        guard let caret = try? VersionRange(parsing: "^\(old)") else { return false }
        return caret.contains(new, includePrerelease: true)
    }
}
