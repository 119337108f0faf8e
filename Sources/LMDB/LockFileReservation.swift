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
    /// Does nothing when the file cannot be opened for writing (a read-only directory or file system, another
    /// user's store): LMDB then decides what to do, as before.
    /// - Throws: ``LMDBError`` with the `fallocate` failure (`noSpace`, `quotaExceeded`, …) and the file
    ///   system's free space, when the file is new or shorter than LMDB makes it (a lock file LMDB sized already is
    ///   left as it is). The file is left in place: another process may already be using it.
    static func reserve(directory: String, maxReaders: UInt32, fileMode: UInt32) throws(LMDBError) {
        let path = directory + "/lock.mdb"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode_t(fileMode))
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return }
        let needed = size(maxReaders: maxReaders)
        let length = max(Int(status.st_size), needed)
        let failure = annals_reserve_blocks(descriptor, Int64(length))
        guard failure != 0 else { return }
        // A lock file LMDB sized already (by a build without reservations, whose later pages may be holes) keeps
        // working as it did: its header page is written, and a full disk must not stop reading a store.
        guard Int(status.st_size) < needed else { return }
        throw LMDBError(
            code: LMDBError.Code(rawValue: failure), operation: "fallocate(\(path))",
            detail: StorageDiagnosis.detail(for: LMDBError.Code(rawValue: failure), directory: directory))
    }
}
