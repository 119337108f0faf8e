import Annals
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An advisory `flock` lock on a file beside the store, held by the open descriptor it returns (closing it, or the
/// end of the process, releases it): what the artifact cache's lock and the dispatchers' locks stand on.
enum LockFile {
    /// Opens `path` (created if need be) and locks it, shared or `exclusive`; with `waiting`, waits for a holder of
    /// the other kind, otherwise gives up at once.
    /// - Parameter name: What the file is, for errors (`the dispatch lock`).
    /// - Returns: The descriptor holding the lock, or `nil` when another holder has it and `waiting` is off.
    /// - Throws: ``PlatformError/store(_:)`` wrapping ``AnnalsError/io(_:)`` naming `name`, the path and the system's
    ///   reason when the file cannot be opened or locked.
    static func lock(_ path: String, exclusive: Bool, waiting: Bool, name: String) throws(PlatformError) -> Int32? {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .store(.io("cannot open \(name) \(path): \(String(cString: strerror(errno)))"))
        }
        let operation = (exclusive ? LOCK_EX : LOCK_SH) | (waiting ? 0 : LOCK_NB)
        var result: Int32
        repeat {
            result = flock(descriptor, operation)
        } while result != 0 && errno == EINTR
        guard result == 0 else {
            let failure = errno
            close(descriptor)
            if failure == EWOULDBLOCK && !waiting { return nil }
            throw .store(.io("cannot lock \(name) \(path): \(String(cString: strerror(failure)))"))
        }
        return descriptor
    }

    /// `organization`'s name in hexadecimal, as the names of the lock files of one organization spell it
    /// (`dispatch-HEX.lock`, `job-slots/HEX-N.lock`, `job-slots/HEX-queue/`).
    static func hexadecimal(_ organization: String) -> String {
        organization.utf8.map { String(format: "%02x", $0) }.joined()
    }
}
