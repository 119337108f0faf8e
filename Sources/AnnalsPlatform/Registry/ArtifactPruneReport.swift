import Annals

/// One file of the artifact cache (`<store>/artifacts`), and what ``PluginPlatform/pruneArtifacts(dryRun:)`` did with
/// it.
public struct ArtifactCacheFile: Sendable, Hashable {
    /// What the file is.
    public enum Kind: String, Sendable, Hashable {
        /// A downloaded module, `<sha256>.wasm`.
        case module
        /// What a download writes before renaming it into place, `.<sha256>.<UUID>.tmp`.
        case temporary
        /// Anything else (a file or directory the cache does not write): always left alone.
        case other
    }

    /// What the prune did with it.
    public enum Action: String, Sendable, Hashable {
        /// Removed.
        case removed
        /// Kept: ``ArtifactCacheFile/reason`` says why.
        case kept
        /// With `dryRun`: what a prune would remove; nothing was removed.
        case wouldRemove = "would-remove"
    }

    /// The file's name in the cache's directory.
    public var name: String
    /// What it is.
    public var kind: Kind
    /// Its size in bytes.
    public var bytes: Int
    /// What the prune did with it.
    public var action: Action
    /// Why, in words (`no plugin event of the log records it`, `a synced release references it`, …).
    public var reason: String
    /// For a module, what still needs it: `registry SCOPE/NAME@VERSION` (a synced release), `install ORG/NAME@VERSION`
    /// (an install's version now), `rollback ORG/NAME@VERSION` (a version an install had earlier),
    /// `history SCOPE/NAME@VERSION` (a release an earlier sync recorded, which an `annals rollback` may restore);
    /// sorted.
    public var references: [String]

    /// The file as `annals plugin artifacts prune` prints it.
    public var json: JSONValue {
        .object([
            "file": .string(name), "kind": .string(kind.rawValue), "bytes": .integer(bytes),
            "action": .string(action.rawValue), "reason": .string(reason),
            "references": .array(references.map(JSONValue.string)),
        ])
    }
}

/// What one ``PluginPlatform/pruneArtifacts(dryRun:)`` did: every file of the cache, removed or kept.
public struct ArtifactPruneReport: Sendable {
    /// The cache's directory.
    public var directory: String
    /// Whether it was a dry run (nothing removed).
    public var dryRun: Bool
    /// Every file of the cache but its lock, by name.
    public var files: [ArtifactCacheFile]

    /// The names of the files that could not be removed (kept, with the error as their reason).
    public var failedRemovals: [String]

    /// The summary as `annals plugin artifacts prune` prints it after the files: `removed` counts the files removed
    /// (with `dryRun`, those a prune would remove), `failed` those that could not be.
    public var json: JSONValue {
        let removed = files.filter { $0.action != .kept }
        let kept = files.filter { $0.action == .kept }
        return .object([
            "directory": .string(directory), "dryRun": .bool(dryRun),
            "removed": .integer(removed.count), "removedBytes": .integer(removed.map(\.bytes).reduce(0, +)),
            "kept": .integer(kept.count), "keptBytes": .integer(kept.map(\.bytes).reduce(0, +)),
            "failed": .integer(failedRemovals.count),
        ])
    }
}
