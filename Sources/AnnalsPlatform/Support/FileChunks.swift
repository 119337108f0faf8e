#if canImport(Glibc)
    import Glibc
#endif

/// Reads a file from its start to its end in chunks of at most 1 MiB, without holding more than one in memory.
enum FileChunks {
    /// The size of each read.
    static let chunkSize = 1 << 20

    /// Hands each chunk of the file at `path` to `body`, in order.
    /// - Returns: `nil` once the whole file was read, or the `errno` of the `open` or `read` that failed (`ENOENT`
    ///   for a missing file, `EISDIR` for a directory).
    static func read(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) -> Int32? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return errno }
            if count == 0 { return nil }
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// The whole file at `path`, or the `errno` that stopped reading it.
    static func contents(of path: String) -> Result<[UInt8], FileReadError> {
        var bytes: [UInt8] = []
        if let code = read(path, { bytes.append(contentsOf: $0) }) { return .failure(FileReadError(code: code)) }
        return .success(bytes)
    }
}

/// Why a file could not be read: the `errno` of the failed call.
struct FileReadError: Error, CustomStringConvertible {
    /// The `errno`.
    let code: Int32

    /// The system's reason (`No such file or directory`).
    var description: String { String(cString: strerror(code)) }
}
