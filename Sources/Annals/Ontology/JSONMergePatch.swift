extension JSONValue {
    /// This value with `patch` applied as a JSON merge patch (RFC 7396): members of an object patch set or
    /// replace members, a `null` member removes one, nested objects merge recursively, and any other patch
    /// replaces the value.
    public func merging(patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var members = objectValue ?? [:]
        for (key, change) in changes {
            if change == .null {
                members.removeValue(forKey: key)
            } else {
                members[key] = (members[key] ?? .null).merging(patch: change)
            }
        }
        return .object(members)
    }

    /// The merge patch that turns `self` into `target`: `self.merging(patch: self.mergePatch(to: target))` is
    /// `target` for objects, unless `target` has a `null` member (RFC 7396 cannot express one: in a patch, `null`
    /// removes the member).
    ///
    /// Values are compared by their canonical bytes, not by `==`, which takes two spellings of a string (`é` and `e`
    /// with a combining accent) for the same: a change between them is in the patch.
    public func mergePatch(to target: JSONValue) -> JSONValue {
        guard case .object(let from) = self, case .object(let to) = target else { return target }
        var patch: [String: JSONValue] = [:]
        for key in from.keys where to[key] == nil { patch[key] = .null }
        for (key, value) in to where from[key].map({ $0.canonicalBytes != value.canonicalBytes }) ?? true {
            if let old = from[key], case .object = old, case .object = value {
                patch[key] = old.mergePatch(to: value)
            } else {
                patch[key] = value
            }
        }
        return .object(patch)
    }
}
