#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads a file from its start to its end in chunks of at most 1 MiB, without holding more than one in memory. Shared
/// by the sandbox (module files) and the platform (secrets files, artifact digests).
package enum FileChunks {
    /// The size of each read.
    package static let chunkSize = 1 << 20

    /// Hands each chunk of the file at `path` to `body`, in order.
    /// - Returns: `nil` once the whole file was read, or the `errno` of the `open` or `read` that failed (`ENOENT`
    ///   for a missing file, `EISDIR` for a directory).
    package static func read(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) -> Int32? {
        var descriptor: Int32
        repeat { descriptor = open(path, O_RDONLY | O_CLOEXEC) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { readBytes(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return errno }
            if count == 0 { return nil }
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// The whole file at `path`, or the `errno` that stopped reading it.
    package static func contents(of path: String) -> Result<[UInt8], FileReadError> {
        var bytes: [UInt8] = []
        if let code = read(path, { bytes.append(contentsOf: $0) }) { return .failure(FileReadError(code: code)) }
        return .success(bytes)
    }
}

/// Why a file could not be read: the `errno` of the failed call.
package struct FileReadError: Error, CustomStringConvertible {
    /// The `errno`.
    package let code: Int32

    /// The failure of a call that set `errno` to `code`.
    package init(code: Int32) { self.code = code }

    /// The system's reason (`No such file or directory`).
    package var description: String { String(cString: strerror(code)) }
}

/// `read(2)`, under a name the enum's own `read` does not shadow.
private func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
