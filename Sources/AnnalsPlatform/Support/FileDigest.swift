import Annals
import AnnalsSandbox
import Crypto

/// The SHA-256 of a file, read in chunks (``FileChunks``): memory stays bounded whatever the file's size.
enum FileDigest {
    /// The SHA-256 of the file at `path`, in lowercase hex, or why it cannot be read (it is missing, a directory,
    /// unreadable, or longer than `maximumBytes`: reading stops there, so `/dev/zero` is not hashed forever).
    static func sha256(atPath path: String, atMost maximumBytes: Int = .max) -> Result<String, FileReadError> {
        var hasher = SHA256()
        if let code = FileChunks.read(path, atMost: maximumBytes, { hasher.update(bufferPointer: $0) }) {
            return .failure(FileReadError(code: code, maximumBytes: maximumBytes))
        }
        return .success(hasher.finalize().hexadecimal)
    }
}
