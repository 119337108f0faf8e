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

    /// Hands each chunk of the file at `path` to `body`, in order, as long as the file holds at most `maximumBytes`
    /// bytes: reading stops at the first byte past them, so a device or pipe without end (`/dev/zero`) is not read
    /// forever.
    /// - Returns: `nil` once the whole file was read, `EFBIG` when it holds more than `maximumBytes` (`body` then
    ///   got no more than `maximumBytes` of it), or the `errno` of the `open` or `read` that failed (`ENOENT` for a
    ///   missing file, `EISDIR` for a directory).
    package static func read(
        _ path: String, atMost maximumBytes: Int = .max, _ body: (UnsafeRawBufferPointer) -> Void
    ) -> Int32? {
        var descriptor: Int32
        repeat { descriptor = open(path, O_RDONLY | O_CLOEXEC) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var total = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { readBytes(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return errno }
            if count == 0 { return nil }
            guard count <= maximumBytes - total else { return EFBIG }
            total += count
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// The whole file at `path`, or why it was not read: the `errno` that stopped reading it, or that it holds more
    /// than `maximumBytes` (``FileReadError/isTooLarge``, after reading no more than `maximumBytes` and one chunk).
    package static func contents(of path: String, atMost maximumBytes: Int = .max) -> Result<[UInt8], FileReadError> {
        var bytes: [UInt8] = []
        if let code = read(path, atMost: maximumBytes, { bytes.append(contentsOf: $0) }) {
            return .failure(FileReadError(code: code, maximumBytes: maximumBytes))
        }
        return .success(bytes)
    }
}

/// Why a file could not be read: the `errno` of the failed call, or that it holds more than a reader's bound.
package struct FileReadError: Error, CustomStringConvertible {
    /// The `errno`: `EFBIG` when the file holds more than ``maximumBytes``.
    package let code: Int32
    /// The most bytes the reader took.
    package let maximumBytes: Int

    /// The failure of a call that set `errno` to `code`, or (`EFBIG`) of a file longer than `maximumBytes`.
    package init(code: Int32, maximumBytes: Int = .max) {
        self.code = code
        self.maximumBytes = maximumBytes
    }

    /// Whether the file holds more than ``maximumBytes``.
    package var isTooLarge: Bool { code == EFBIG && maximumBytes < .max }

    /// The system's reason (`No such file or directory`), or `larger than the limit of N bytes`.
    package var description: String {
        isTooLarge ? "larger than the limit of \(maximumBytes) bytes" : String(cString: strerror(code))
    }
}

/// `read(2)`, under a name the enum's own `read` does not shadow.
private func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
