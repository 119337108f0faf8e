import Annals
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension PluginPlatform {
    /// Removes from the artifact cache (`<store>/artifacts`) the modules nothing could still run or roll back to,
    /// and the leftovers of interrupted downloads.
    ///
    /// A module is kept while a release of any registry references it (a withdrawn plugin's and a yanked version's
    /// included), an install of any organization has, or once had, its version, or any plugin event of the log
    /// recorded it (``ArtifactReferences``): the log is never rewritten, and `annals rollback` can bring back any
    /// earlier state of a registry, so every release it ever recorded stays runnable. What is removed is a module no
    /// plugin event records (downloaded by a sync whose append failed, or put there by hand); listed by a registry,
    /// it is downloaded again by the next sync. A temporary file of a download is
    /// removed once it is older than an hour; a younger one, and anything the cache does not write, is kept. The
    /// cache is locked exclusively meanwhile (``ArtifactCacheLock``): a sync that downloads waits for the prune, and
    /// the prune for the syncs under way, so that a module a sync is about to record is never removed. A file that
    /// cannot be removed is kept and named in ``ArtifactPruneReport/failedRemovals``, its reason saying why (the
    /// system's, such as `Operation not permitted`); the others are still pruned. The corresponding C function is
    /// `unlink`.
    /// - Parameter dryRun: Remove nothing, and take no lock: say what a prune would remove (a sync running at the
    ///   same time can make the prune differ).
    /// - Returns: Every file of the cache, removed or kept and why; none when there is no cache.
    /// - Throws: ``PlatformError/store(_:)`` when the views, the log or the cache's directory cannot be read, or the
    ///   cache cannot be locked.
    public func pruneArtifacts(dryRun: Bool = false) throws(PlatformError) -> ArtifactPruneReport {
        let directory = ArtifactCache(storePath: store.path).directory
        var report = ArtifactPruneReport(directory: directory, dryRun: dryRun, files: [], failedRemovals: [])
        guard FileManager.default.fileExists(atPath: directory) else { return report }
        let lock = dryRun ? nil : try ArtifactCacheLock(directory: directory, exclusive: true)
        defer { lock?.unlock() }
        let references = try ArtifactReferences(self).needs
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw .store(.io("cannot read the artifact cache \(directory): \(error.localizedDescription)"))
        }
        let now = Date()
        for name in names {
            let path = directory + "/" + name
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                var file = Self.classify(name, attributes, references: references, now: now)
            else { continue }
            if file.action == .wouldRemove, !dryRun {
                // A regular file (anything else is left alone): gone already counts as removed.
                if unlink(path) == 0 || errno == ENOENT {
                    file.action = .removed
                } else {
                    file.action = .kept
                    file.reason = "cannot be removed: \(String(cString: strerror(errno)))"
                    report.failedRemovals.append(name)
                }
            }
            report.files.append(file)
        }
        return report
    }

    /// The file `name` of the cache, to keep or to remove (``ArtifactCacheFile/Action/wouldRemove``) and why; `nil`
    /// for the lock file.
    private static func classify(
        _ name: String, _ attributes: [FileAttributeKey: Any], references: [String: [String]], now: Date
    ) -> ArtifactCacheFile? {
        let bytes = (attributes[.size] as? NSNumber)?.intValue ?? 0
        // A directory or a link is no file the cache writes, whatever its name.
        let regular = attributes[.type] as? FileAttributeType == .typeRegular
        switch regular ? ArtifactCache.kind(ofFileNamed: name) : .other {
        case .lock:
            return nil
        case .other:
            return ArtifactCacheFile(
                name: name, kind: .other, bytes: bytes, action: .kept,
                reason: "not a file the artifact cache writes: left alone", references: [])
        case .module(let sha256):
            let needs = references[sha256] ?? []
            return ArtifactCacheFile(
                name: name, kind: .module, bytes: bytes, action: needs.isEmpty ? .wouldRemove : .kept,
                reason: needs.isEmpty ? "no plugin event of the log records it" : reason(forKeeping: needs),
                references: needs)
        case .temporary:
            let stale =
                now.timeIntervalSince(attributes[.modificationDate] as? Date ?? now)
                >= ArtifactCache.staleTemporaryAge
            let age = "\(Int(ArtifactCache.staleTemporaryAge / 60)) minutes"
            return ArtifactCacheFile(
                name: name, kind: .temporary, bytes: bytes, action: stale ? .wouldRemove : .kept,
                reason: stale
                    ? "left by an interrupted download (older than \(age))"
                    : "a download may still be writing it (younger than \(age))",
                references: [])
        }
    }

    /// Why a module with `references` is kept, from the strongest: a release, an install now, a plugin rollback, an
    /// engine rollback.
    private static func reason(forKeeping references: [String]) -> String {
        if references.contains(where: { $0.hasPrefix("registry ") }) { return "a synced release references it" }
        if references.contains(where: { $0.hasPrefix("install ") }) { return "an install has its version" }
        if references.contains(where: { $0.hasPrefix("rollback ") }) {
            return "an install had its version: a plugin rollback may return to it"
        }
        return "an earlier sync recorded it: an annals rollback may restore its release"
    }
}
