#if canImport(Glibc)
    import Glibc
#endif

/// The environments this process has open, by the identity of their directory, so that a second open of the same
/// one is refused before LMDB sees it.
///
/// LMDB allows one open environment per data file per process: its lock file is held with POSIX record locks, which
/// belong to the process, so closing either of two environments on one file would drop the other's locks too. The
/// next process to open the store would then take itself for the only user and reset the reader table under live
/// readers. The check runs before `mdb_env_open`, because opening (and closing) a second environment is what does
/// the damage.
enum OpenEnvironments {
    /// A directory's identity: device and inode, the same whatever path names it (symbolic links, `..`).
    struct Identity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    private static let lock = Mutex()
    nonisolated(unsafe) private static var open: [Identity: String] = [:]

    /// Runs `body` (which opens the environment at `path`) unless this process already has it open, and records it
    /// as open when `body` succeeds; returns the identity to pass to ``released(_:)``.
    ///
    /// Every open in the process is serialized (one lock for all), so that two of the same directory cannot both
    /// pass the check.
    /// - Throws: ``LMDBError/Code/alreadyOpenInProcess`` naming the path it is open under, or what `body` throws.
    static func opening(_ path: String, _ body: () throws(LMDBError) -> Void) throws(LMDBError) -> Identity? {
        lock.lock()
        defer { lock.unlock() }
        // A directory that cannot be examined is left to mdb_env_open, which names the problem.
        guard let identity = identity(of: path) else {
            try body()
            return nil
        }
        if let openPath = open[identity] {
            throw LMDBError(
                code: .alreadyOpenInProcess, operation: "mdb_env_open(\(path))",
                detail: "this process has it open already"
                    + (openPath == path ? "" : " as \(openPath)")
                    + "; share that one (LMDB allows one open environment per file per process)")
        }
        try body()
        open[identity] = path
        return identity
    }

    /// Runs `body` unless this process has the environment in `path` open, with every open in the process held off
    /// meanwhile (as ``opening(_:_:)`` serializes them); returns what `body` returns, or `false` when it is open.
    static func whileNotOpen(_ path: String, _ body: () -> Bool) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if let identity = identity(of: path), open[identity] != nil { return false }
        return body()
    }

    /// Forgets an environment that was closed.
    static func released(_ identity: Identity) {
        lock.lock()
        defer { lock.unlock() }
        open[identity] = nil
    }

    private static func identity(of path: String) -> Identity? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return Identity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }
}
