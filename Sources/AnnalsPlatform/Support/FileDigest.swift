import Annals
import AnnalsSandbox
import Crypto

/// The SHA-256 of a file, read in chunks (``FileChunks``): memory stays bounded whatever the file's size.
enum FileDigest {
    /// The SHA-256 of the module file at `path`, in lowercase hex, or why it cannot be read: it is missing, a
    /// directory, unreadable, longer than `maximumBytes` (reading stops there), or no regular file (a device may never
    /// end, and opening a FIFO would wait for a writer; neither is read).
    static func sha256(atPath path: String, atMost maximumBytes: Int = .max) -> Result<String, FileReadError> {
        var hasher = SHA256()
        let failure = FileChunks.read(path, atMost: maximumBytes, regularFileOnly: true) {
            hasher.update(bufferPointer: $0)
        }
        if let failure { return .failure(failure) }
        return .success(hasher.finalize().hexadecimal)
    }
}
