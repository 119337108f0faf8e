import Annals

extension PluginPlatform {
    /// `plan` with the organization's own request kept on every install it restores other than `rolledBack`: a
    /// covered install the organization asked for (``PluginInstall/requested``) keeps that range instead of taking
    /// back the one it had at the target offset (`null` for an install that was a mere dependency then).
    ///
    /// The rollback returns `rolledBack`'s own request to what it was, as its version; the requests of the other
    /// installs it covers (the dependencies an update moved) are the organization's, made for them, which a rollback
    /// of another plugin must not undo. ``checkNothingElseBreaks`` has refused a restore outside such a request, so
    /// every restored version satisfies the request it keeps. The events and the changes are patched alike: a dry run
    /// reports what the rollback appends, and a restore left with nothing to change is dropped.
    func keepingRequests(
        in plan: RollbackPlan, of state: OrganizationState, rolledBack: PluginInstall
    ) -> RollbackPlan {
        let requests = Dictionary(
            state.installs.values.compactMap { install in
                install.requested.map { (install.thingId, JSONValue.string($0.description)) }
            },
            uniquingKeysWith: { first, _ in first })
        var plan = plan
        for index in plan.changes.indices.reversed() {
            let change = plan.changes[index]
            guard change.entity == "thing", change.action == .restore, change.id != rolledBack.thingId,
                let request = requests[change.id], let target = change.target,
                target["properties"]?["requested"] != request
            else { continue }
            // Only the request differing, the restore is dropped: with it kept, there is nothing left to restore.
            plan.keep(RollbackPlan.setting("requested", to: request, in: target), forRestoreAt: index)
        }
        return plan
    }
}
