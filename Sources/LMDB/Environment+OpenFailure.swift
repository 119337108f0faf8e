import CLMDB

#if canImport(Glibc)
    import Glibc
#endif

extension Environment {
    /// Which of the environment's files made `mdb_env_open` fail with the system error `rc`, found by opening each
    /// as LMDB does (read-only for a read-only environment's data file, for reading and writing otherwise, and the
    /// lock file always for reading and writing), without creating anything: `the lock file …/lock.mdb: Is a
    /// directory`. `nil` for an error no system call on a file explains (an LMDB error, `ENOMEM`), or when neither
    /// file fails that way now.
    static func fileRefusing(_ rc: Int32, in path: String, readOnly: Bool) -> String? {
        guard [EACCES, EPERM, EISDIR, EROFS, ENODEV, ETXTBSY, ELOOP, ENAMETOOLONG, ENOTDIR].contains(rc) else {
            return nil
        }
        let files = [
            ("the data file", "/data.mdb", readOnly ? O_RDONLY : O_RDWR), ("the lock file", "/lock.mdb", O_RDWR),
        ]
        for (name, file, mode) in files {
            let descriptor = open(path + file, mode | O_CLOEXEC)
            if descriptor >= 0 {
                Glibc.close(descriptor)
                continue
            }
            guard errno != ENOENT else { continue }
            return "\(name) \(path + file): \(String(cString: strerror(errno)))"
        }
        return nil
    }
}
