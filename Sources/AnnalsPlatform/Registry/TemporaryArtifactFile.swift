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
    private var handle: FileHandle?

    /// Creates the file (`O_EXCL`: never one another process writes). The corresponding C function is `open`.
    /// - Throws: ``AnnalsError/io(_:)`` naming the path and the system's reason.
    init(path: String) throws(AnnalsError) {
        self.path = path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .io("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// Appends `chunk` to the file.
    /// - Throws: ``AnnalsError/io(_:)`` naming the path and the reason (a full disk, say).
    func write(_ chunk: UnsafeRawBufferPointer) throws(AnnalsError) {
        do {
            try handle?.write(contentsOf: Data(chunk))
        } catch {
            throw .io("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Closes the file and renames it to `destination` (replacing a damaged file there).
    /// The corresponding C function is `rename`.
    /// - Throws: ``AnnalsError/io(_:)`` when closing or renaming fails; the file is removed then.
    func move(to destination: String) throws(AnnalsError) {
        do {
            try handle?.close()
            handle = nil
        } catch {
            discard()
            throw .io("cannot write \(path): \(error.localizedDescription)")
        }
        guard rename(path, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw .io("cannot rename \(path) to \(destination): \(reason)")
        }
    }

    /// Closes and removes the file (what a failed or refused download leaves).
    func discard() {
        try? handle?.close()
        handle = nil
        unlink(path)
    }
}
