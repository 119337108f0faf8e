import Annals
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The file a module download is written to, chunk by chunk, before it is renamed into the cache
/// (`.<sha256>.<UUID>.tmp` in the cache's directory), created exclusively and removed unless it is moved into place.
final class TemporaryArtifactFile {
    /// The file's path.
    let path: String
    /// The open file's descriptor; -1 once closed.
    private var descriptor: Int32

    /// Creates the file (`O_EXCL`: never one another process writes). The corresponding C function is `open`.
    /// - Throws: ``AnnalsError/io(_:)`` naming the path and the system's reason.
    init(path: String) throws(AnnalsError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .io("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Appends `chunk` to the file. The corresponding C function is `write`.
    /// - Throws: ``AnnalsError/io(_:)`` naming the path and the system's reason (`No space left on device`).
    func write(_ chunk: UnsafeRawBufferPointer) throws(AnnalsError) {
        var written = 0
        while written < chunk.count {
            let count = Glibc.write(descriptor, chunk.baseAddress! + written, chunk.count - written)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw .io("cannot write \(path): \(String(cString: strerror(count < 0 ? errno : EIO)))")
            }
            written += count
        }
    }

    /// Closes the file and renames it to `destination` (replacing a damaged file there).
    /// The corresponding C function is `rename`.
    /// - Throws: ``AnnalsError/io(_:)`` when closing or renaming fails; the file is removed then.
    func move(to destination: String) throws(AnnalsError) {
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw .io("cannot write \(path): \(reason)")
        }
        guard rename(path, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw .io("cannot rename \(path) to \(destination): \(reason)")
        }
    }

    /// Closes and removes the file (what a failed or refused download leaves).
    func discard() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(path)
    }
}
