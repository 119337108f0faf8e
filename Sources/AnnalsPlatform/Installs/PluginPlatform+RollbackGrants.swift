import Annals

extension PluginPlatform {
    /// `plan` with every install it restores granted what it had at the target offset, plus each permission it holds
    /// now that the version it returns to asks for: the rolled-back plugin and the other installs it covers alike.
    ///
    /// Grants follow the version (least privilege): a run already gets only what its release asks for
    /// (``PluginInstall/effectiveGrants(for:)``), and the install does not keep a grant the restored version never
    /// asked for (one given since, for a later version) either: it is revoked, and ``revokedGrants(in:)`` names each,
    /// for the rollback to report. The state at the target already holds what its version asked for then; a
    /// permission the version asks for that was not granted then (a version a sync dropped and its registry published
    /// again with more) is kept when the organization has granted it since. The events and the changes are patched
    /// alike, and a restore left with nothing to change is dropped.
    /// - Parameter releases: The release each restored install returns to, by its id (`restoredReleases(of:)`).
    func keepingGrants(in plan: RollbackPlan, releases: [String: PluginRelease]) -> RollbackPlan {
        var plan = plan
        for index in plan.changes.indices.reversed() {
            let change = plan.changes[index]
            guard let release = releases[change.id], let target = change.target else { continue }
            let then = Self.grants(in: target)
            let kept = then.union(Self.grants(in: change.current).intersection(release.permissions))
            guard kept != then else { continue }
            let value = JSONValue.array(kept.sorted().map(JSONValue.string))
            plan.keep(RollbackPlan.setting("grants", to: value, in: target), forRestoreAt: index)
        }
        return plan
    }

    /// The permissions each install `plan` restores would lose, by plugin name: those it holds now and the state it
    /// returns to does not (an install the rollback removes is left out: its grants go with it).
    static func revokedGrants(in plan: RollbackPlan) -> [String: [String]] {
        var revoked: [String: [String]] = [:]
        for change in plan.changes where change.entity == "thing" && change.action == .restore {
            guard change.id.hasPrefix(PlatformIDs.installPrefix),
                let name = change.target?["properties"]?["plugin"]?.stringValue
            else { continue }
            let lost = grants(in: change.current).subtracting(grants(in: change.target))
            if !lost.isEmpty { revoked[name] = lost.sorted() }
        }
        return revoked
    }

    /// The grants of an install's thing (its JSON), empty for none.
    private static func grants(in thing: JSONValue?) -> Set<String> {
        Set((thing?["properties"]?["grants"]?.arrayValue ?? []).compactMap(\.stringValue))
    }
}
