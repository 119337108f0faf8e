#if canImport(Glibc)
    import Glibc
#endif

/// LMDB's exclusive record lock on the first byte of `lock.mdb` (`mdb_env_excl_lock`): every process with the
/// environment open holds it shared, so it is granted only while none has it open.
enum LockFileExclusiveLock {
    /// Takes the lock through `descriptor` (an open `lock.mdb`) without waiting; returns whether it was granted. A
    /// granted lock is held until the process closes any descriptor of the file.
    ///
    /// The corresponding C call is `fcntl(F_SETLK)`.
    static func take(_ descriptor: Int32) -> Bool {
        var exclusive = flock()
        exclusive.l_type = Int16(F_WRLCK)
        exclusive.l_whence = Int16(SEEK_SET)
        exclusive.l_start = 0
        exclusive.l_len = 1
        var result: Int32
        repeat { result = fcntl(descriptor, F_SETLK, &exclusive) } while result != 0 && errno == EINTR
        return result == 0
    }
}
