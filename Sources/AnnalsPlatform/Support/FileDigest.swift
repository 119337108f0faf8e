import Annals
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The SHA-256 of a file, read in chunks of 1 MiB: memory stays bounded whatever the file's size.
enum FileDigest {
    /// The size of each read.
    static let chunkSize = 1 << 20

    /// The SHA-256 of the file at `path`, in lowercase hex, or `nil` when it cannot be opened or read (it is
    /// missing, a directory, unreadable).
    static func sha256(atPath path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return hasher.finalize().hexadecimal }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }
}
