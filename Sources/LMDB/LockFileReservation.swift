import CAnnalsSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Reserves the disk blocks of an environment's lock file before LMDB maps it.
///
/// LMDB sizes `lock.mdb` with `ftruncate`, which reserves no blocks, and then writes its header and reader slots
/// through a shared mapping. On a full file system (or a full tmpfs) that first write has nowhere to go and the
/// kernel kills the process with SIGBUS, inside `mdb_env_open` or at a later read transaction. Reserving the blocks
/// first (`fallocate`) turns that into an `ENOSPC` error at open.
enum LockFileReservation {
    /// The size LMDB gives a lock file for `maxReaders` reader slots on 64-bit Linux (`mdb_env_setup_locks`: a
    /// 192-byte header holding the first slot, then 64 bytes per further slot). If another build of LMDB needs more,
    /// it extends the file itself, as it would without the reservation.
    static func size(maxReaders: UInt32) -> Int {
        (Int(max(maxReaders, 1)) - 1) * 64 + 192
    }

    /// Creates `lock.mdb` in `directory` if needed and reserves blocks for its first `size(maxReaders:)` bytes (or
    /// its whole length if longer), without changing what it holds.
    ///
    /// A lock file this call creates appears only once its blocks are reserved (it is made unnamed, reserved, then
    /// linked into place: `annals_create_reserved_file`), so a failed reservation leaves the directory as it was,
    /// and no other process can have opened a lock file that the failure would have to take away. A lock file that
    /// exists is never removed. Does nothing when the file cannot be opened or created for writing (a read-only
    /// directory or file system, another user's store, a missing directory): LMDB then decides what to do, as before.
    /// - Throws: ``LMDBError`` with the failed call (`fallocate`, …: `noSpace`, `quotaExceeded`, …) and the file
    ///   system's free space, when the file is new or shorter than LMDB makes it (a lock file LMDB sized already is
    ///   left as it is).
    static func reserve(directory: String, maxReaders: UInt32, fileMode: UInt32) throws(LMDBError) {
        let path = directory + "/lock.mdb"
        let needed = size(maxReaders: maxReaders)
        // Twice at most: a file another process creates between the two calls is then open as an existing one (a
        // name that neither opens nor links, such as a dangling symbolic link, is left to LMDB).
        for _ in 0..<2 {
            let descriptor = open(path, O_RDWR | O_CLOEXEC)
            if descriptor >= 0 {
                defer { close(descriptor) }
                return try reserve(existing: descriptor, path: path, directory: directory, needed: needed)
            }
            guard errno == ENOENT else { return }
            var failedCall: UnsafePointer<CChar>?
            let failure = annals_create_reserved_file(directory, path, fileMode, Int64(needed), &failedCall)
            if failure == 0 { return }
            if failure == EEXIST { continue }
            let call = failedCall.map { String(cString: $0) } ?? "open"
            // Not allowed to create a file here, or no directory: LMDB decides, and names what is wrong.
            if call == "open" && [EACCES, EPERM, EROFS, ENOENT].contains(failure) { return }
            // A file system without hard links (vfat, exFAT, some network and FUSE mounts, with or without unnamed
            // files) cannot link the reserved file into place: the lock file is created under its own name and
            // reserved there, as before O_TMPFILE was used, so a failed reservation leaves it behind on such a file
            // system only.
            if ["link", "linkat"].contains(call) && [EPERM, EOPNOTSUPP, ENOSYS].contains(failure) {
                let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode_t(fileMode))
                guard descriptor >= 0 else { return }
                defer { close(descriptor) }
                return try reserve(existing: descriptor, path: path, directory: directory, needed: needed)
            }
            throw error(code: failure, operation: "\(call)(\(path))", directory: directory)
        }
    }

    /// Reserves the blocks of the lock file open as `descriptor`, up to `needed` bytes or its length if longer.
    ///
    /// A file shorter than `needed` is lengthened only while no process has the environment open (the exclusive
    /// record lock on its first byte, which every process with it open holds shared, is granted): those processes
    /// map the file at the length it had when they opened it, and LMDB counts reader slots by the file's length, so
    /// a longer file would give a later opener slots past the end of their mappings (which they then read, and die
    /// of SIGSEGV). While one has it open, the open keeps the slots it has, as LMDB itself does: the first opener
    /// fixes them.
    /// - Throws: ``LMDBError`` when lengthening the file fails.
    private static func reserve(existing descriptor: Int32, path: String, directory: String, needed: Int)
        throws(LMDBError)
    {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return }
        let length = Int(status.st_size)
        // The lock, if granted, goes with the descriptor, before LMDB opens the file.
        let target = length < needed && LockFileExclusiveLock.take(descriptor) ? needed : length
        guard target > 0 else { return }
        let failure = annals_reserve_blocks(descriptor, Int64(target))
        guard failure != 0 else { return }
        // A lock file LMDB sized already (by a build without reservations, whose later pages may be holes) keeps
        // working as it did: its header page is written, and a full disk must not stop reading a store.
        guard length < target else { return }
        throw error(code: failure, operation: "fallocate(\(path))", directory: directory)
    }

    /// The error of a failed reservation: `code` (an errno), the call, and the free space of `directory`.
    private static func error(code: Int32, operation: String, directory: String) -> LMDBError {
        LMDBError(
            code: LMDBError.Code(rawValue: code), operation: operation,
            detail: StorageDiagnosis.detail(for: LMDBError.Code(rawValue: code), directory: directory))
    }
}
