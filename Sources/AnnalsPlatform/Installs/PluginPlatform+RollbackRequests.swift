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
            let kept = Self.setting(request, in: target)
            if let current = change.current, Self.contentKeys.allSatisfy({ current[$0] == kept[$0] }) {
                // Only the request differed: with it kept, there is nothing left to restore.
                plan.changes.remove(at: index)
                plan.events.remove(at: index)
                continue
            }
            plan.changes[index].target = kept
            plan.events[index].metadata = Self.setting(request, in: plan.events[index].metadata)
        }
        return plan
    }

    /// The members of a thing's JSON that a restore sets (its id and stamps aside).
    private static let contentKeys = ["thingType", "groupId", "name", "status", "properties"]

    /// `entity` (a thing's JSON, or a restore's metadata) with `properties.requested` set to `request`.
    private static func setting(_ request: JSONValue, in entity: JSONValue) -> JSONValue {
        guard case .object(var members) = entity, case .object(var properties)? = members["properties"] else {
            return entity
        }
        properties["requested"] = request
        members["properties"] = .object(properties)
        return .object(members)
    }
}
