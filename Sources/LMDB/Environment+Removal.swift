#if canImport(Glibc)
    import Glibc
#endif

extension Environment {
    /// Removes the files `names` (such as `data.mdb` and `lock.mdb`) from the environment directory `directory`, for
    /// a creation that failed, provided that no process has the environment open: none in this process
    /// (``OpenEnvironments``, whose opens wait meanwhile), and no other one, which the lock file tells. Every process
    /// with an environment open holds a shared record lock on the first byte of its `lock.mdb` (LMDB's
    /// `mdb_env_excl_lock`), so an exclusive lock there is granted only when none does; it is held while the files
    /// are removed, `lock.mdb` last.
    ///
    /// A file of `names` that does not exist is skipped. Nothing is removed when `lock.mdb` cannot be opened (there
    /// is then no telling whether the environment is in use), or when the lock is not granted at once.
    /// - Returns: Whether the check passed and the removal was attempted.
    ///
    /// The corresponding C calls are `fcntl(F_SETLK)` and `unlink`.
    public static func removeUnusedFiles(_ names: [String], in directory: String) -> Bool {
        OpenEnvironments.whileNotOpen(directory) {
            let descriptor = open(directory + "/lock.mdb", O_RDWR | O_CLOEXEC)
            guard descriptor >= 0 else { return false }
            // Closing the descriptor releases the lock, after the files are gone.
            defer { Glibc.close(descriptor) }
            guard LockFileExclusiveLock.take(descriptor) else { return false }
            let ordered = names.filter { $0 != "lock.mdb" } + names.filter { $0 == "lock.mdb" }
            for name in ordered { unlink(directory + "/" + name) }
            return true
        }
    }
}
