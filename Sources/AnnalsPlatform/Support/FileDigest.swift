import Annals
import Crypto

/// The SHA-256 of a file, read in chunks (``FileChunks``): memory stays bounded whatever the file's size.
enum FileDigest {
    /// The SHA-256 of the file at `path`, in lowercase hex, or `nil` when it cannot be opened or read (it is
    /// missing, a directory, unreadable).
    static func sha256(atPath path: String) -> String? {
        var hasher = SHA256()
        guard FileChunks.read(path, { hasher.update(bufferPointer: $0) }) == nil else { return nil }
        return hasher.finalize().hexadecimal
    }
}
