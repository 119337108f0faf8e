import Annals
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An advisory lock on the artifact cache (`flock` on `<cache>/.lock`), between the syncs that put modules in it and
/// the prune that takes unreferenced ones out.
///
/// A sync holds it shared from its first download until its events are appended, so that several syncs run at once;
/// a prune holds it exclusively from reading what the registries reference until its last removal, so that it never
/// removes a module a sync has just cached (or found cached) and is about to record. Closing the descriptor (``unlock()``,
/// or the end of the process) releases it.
final class ArtifactCacheLock {
    /// The name of the lock file in the cache's directory.
    static let fileName = ".lock"

    private var descriptor: Int32

    /// Takes the lock on the cache in `directory` (created if need be), waiting for a holder of the other kind.
    /// The corresponding C function is `flock`.
    /// - Parameter exclusive: Exclusive (a prune) rather than shared (a sync).
    /// - Throws: ``PlatformError/store(_:)`` wrapping ``AnnalsError/io(_:)`` when the directory or the lock file
    ///   cannot be created or locked.
    init(directory: String, exclusive: Bool) throws(PlatformError) {
        let path = directory + "/" + Self.fileName
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .store(.io("cannot create the artifact cache \(directory): \(error.localizedDescription)"))
        }
        // Waiting, so never `nil`.
        descriptor =
            try LockFile.lock(path, exclusive: exclusive, waiting: true, name: "the artifact cache's lock") ?? -1
    }

    /// Releases the lock (once; later calls do nothing).
    func unlock() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { unlock() }
}
