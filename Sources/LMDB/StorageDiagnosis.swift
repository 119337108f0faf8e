#if canImport(Glibc)
    import Glibc
#endif

/// What the file system says about a failed write to an environment's data file.
///
/// LMDB reports a short write as `EIO`, so a full disk, a full quota and the process's file size limit
/// (`ulimit -f`) all arrive as ``LMDBError/Code/ioError``. This names the likely cause for the operator: the space
/// left on the file system holding the environment and, when a limit is set, that limit against the file's size.
struct StorageDiagnosis {
    /// Bytes an unprivileged process can still allocate on the file system (`statvfs`: `f_bavail × f_frsize`).
    var availableBytes: UInt64?
    /// The size of `data.mdb`.
    var fileBytes: UInt64?
    /// The process's file size limit (`RLIMIT_FSIZE`), or `nil` when there is none.
    var fileSizeLimit: UInt64?
    /// The directory holding the environment.
    var directory: String

    /// Whether a failure with `code` may come from the file system's space or limits.
    static func applies(to code: LMDBError.Code) -> Bool {
        [.ioError, .noSpace, .fileTooLarge, .quotaExceeded].contains(code)
    }

    /// The ``summary`` for a failure with `code` in the environment at `directory`, when the code is one that space
    /// or limits may cause (``applies(to:)``); `nil` otherwise.
    static func detail(for code: LMDBError.Code, directory: String) -> String? {
        applies(to: code) ? StorageDiagnosis(directory: directory).summary : nil
    }

    /// Reads the file system's figures for the environment in `directory`.
    init(directory: String) {
        self.directory = directory
        var fileSystem = statvfs()
        if statvfs(directory, &fileSystem) == 0 {
            availableBytes = UInt64(fileSystem.f_bavail) &* UInt64(fileSystem.f_frsize)
        }
        var file = stat()
        if stat(directory + "/data.mdb", &file) == 0 { fileBytes = UInt64(file.st_size) }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
            fileSizeLimit = UInt64(limit.rlim_cur)
        }
    }

    /// One sentence for an error message, such as `the file system holding /data/store has 0 bytes free`.
    var summary: String {
        var parts: [String] = []
        if let availableBytes {
            parts.append("the file system holding \(directory) has \(Self.bytes(availableBytes)) free")
        }
        if let fileSizeLimit {
            let size = fileBytes.map { "data.mdb is \(Self.bytes($0))" } ?? "data.mdb's size is unknown"
            parts.append("this process may not write files beyond \(Self.bytes(fileSizeLimit)) (ulimit -f); \(size)")
        }
        return parts.isEmpty ? "the file system's free space could not be read" : parts.joined(separator: "; ")
    }

    /// `count` bytes for people: exact below 10 KiB, else in KiB, MiB or GiB with one decimal.
    static func bytes(_ count: UInt64) -> String {
        if count < 10 << 10 { return count == 1 ? "1 byte" : "\(count) bytes" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
