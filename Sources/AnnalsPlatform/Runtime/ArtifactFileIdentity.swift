#if canImport(Glibc)
    import Glibc
#endif

/// Which file is at a path, and which version of it: device, inode, size and modification time. An artifact read and
/// checked once is trusted again only while its path holds the same file unchanged, so that a runtime that lives long
/// (a `plugin dispatch --follow`) notices an artifact removed or replaced as a new process would, for one `stat`.
struct ArtifactFileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modifiedSeconds: Int64
    let modifiedNanoseconds: Int64

    /// The identity of the file at `path`, or `nil` when there is none (or it cannot be looked at).
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedSeconds = Int64(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
    }
}
