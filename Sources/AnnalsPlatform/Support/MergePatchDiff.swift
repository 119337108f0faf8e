import Annals

/// The smallest JSON merge patch (RFC 7396) that turns one object into another: what a `thing.updated` event
/// carries so that re-syncing a changed registry entry records only what changed.
///
/// Objects are diffed member by member (a removed member becomes `null`); any other value that differs is
/// replaced whole. Values must not contain `null` themselves (a merge patch cannot set one); the platform never
/// stores `null`, it omits the member.
enum MergePatchDiff {
    /// The patch from `old` to `new`, or `nil` when they are equal.
    static func patch(from old: JSONValue, to new: JSONValue) -> JSONValue? {
        guard old != new else { return nil }
        guard case .object(let before) = old, case .object(let after) = new else { return new }
        var patch: [String: JSONValue] = [:]
        for (key, value) in after {
            if let previous = before[key] {
                if let change = Self.patch(from: previous, to: value) { patch[key] = change }
            } else {
                patch[key] = value
            }
        }
        for key in before.keys where after[key] == nil { patch[key] = .null }
        return patch.isEmpty ? nil : .object(patch)
    }
}
