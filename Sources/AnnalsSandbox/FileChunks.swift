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
    /// forever. With `regularFileOnly`, anything else that opens (a device, a FIFO, whose open does not wait for a
    /// writer then) is refused before a byte is read; it is checked on the open descriptor, so the path cannot
    /// change in between.
    /// - Returns: `nil` once the whole file was read, or why not: ``FileReadError/isTooLarge`` (`body` then got no
    ///   more than `maximumBytes` of it), ``FileReadError/isNotRegularFile``, or the `errno` of the `open` or `read`
    ///   that failed (`ENOENT` for a missing file, `EISDIR` for a directory).
    package static func read(
        _ path: String, atMost maximumBytes: Int = .max, regularFileOnly: Bool = false,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) -> FileReadError? {
        let flags = O_RDONLY | O_CLOEXEC | (regularFileOnly ? O_NONBLOCK : 0)
        var descriptor: Int32
        repeat { descriptor = open(path, flags) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { return FileReadError(.system(errno)) }
        defer { close(descriptor) }
        if regularFileOnly {
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { return FileReadError(.system(errno)) }
            switch info.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: return FileReadError(.system(EISDIR))
            default: return FileReadError(.notRegularFile)
            }
        }
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var total = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { readBytes(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return FileReadError(.system(errno)) }
            if count == 0 { return nil }
            guard count <= maximumBytes - total else { return FileReadError(.tooLarge(maximumBytes)) }
            total += count
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// The whole file at `path`, or why it was not read (``read(_:atMost:regularFileOnly:_:)``).
    package static func contents(
        of path: String, atMost maximumBytes: Int = .max, regularFileOnly: Bool = false
    ) -> Result<[UInt8], FileReadError> {
        var bytes: [UInt8] = []
        if let error = read(
            path, atMost: maximumBytes, regularFileOnly: regularFileOnly, { bytes.append(contentsOf: $0) })
        {
            return .failure(error)
        }
        return .success(bytes)
    }
}

/// Why a file could not be read: a failed call's `errno`, a file longer than the reader's bound, or one that is not
/// a regular file when only those are read.
package struct FileReadError: Error, CustomStringConvertible {
    /// What went wrong.
    package enum Reason: Sendable, Hashable {
        /// A call failed with this `errno`.
        case system(Int32)
        /// The file holds more than this many bytes.
        case tooLarge(Int)
        /// The file is a device, FIFO or socket.
        case notRegularFile
    }

    /// What went wrong.
    package let reason: Reason

    /// The failure `reason`.
    package init(_ reason: Reason) { self.reason = reason }

    /// The `errno` of the failed call; 0 for the reader's own refusals.
    package var code: Int32 {
        if case .system(let code) = reason { return code }
        return 0
    }

    /// Whether the file holds more than the reader's bound.
    package var isTooLarge: Bool {
        if case .tooLarge = reason { return true }
        return false
    }

    /// Whether the file was refused as no regular file.
    package var isNotRegularFile: Bool { reason == .notRegularFile }

    /// The system's reason (`No such file or directory`), `larger than the limit of N bytes`, or `not a regular
    /// file`.
    package var description: String {
        switch reason {
        case .system(let code): String(cString: strerror(code))
        case .tooLarge(let maximumBytes): "larger than the limit of \(maximumBytes) bytes"
        case .notRegularFile: "not a regular file"
        }
    }
}

/// `read(2)`, under a name the enum's own `read` does not shadow.
private func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
