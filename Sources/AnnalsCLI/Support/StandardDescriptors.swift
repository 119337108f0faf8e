#if canImport(Glibc)
    import Glibc
#endif

/// Standard input, output and error started closed (`annals tail >&-`): each is pointed at `/dev/null`, opened the
/// wrong way round, so that reading or writing it still fails with `EBADF` as on a closed descriptor.
///
/// Left closed, the descriptor number would go to the next file the command opens, the store's `lock.mdb` among
/// them, and the command's output would be written into that file while it reported success (and `tail --cursor`
/// acknowledged the events it had "printed").
enum StandardDescriptors {
    /// Occupies whichever of descriptors 0, 1 and 2 is closed. Called first thing in `main`, before any file opens.
    static func reserveClosed() {
        for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            // Input is opened for writing only and the outputs for reading only: every use fails with EBADF.
            let placeholder = open("/dev/null", (descriptor == 0 ? O_WRONLY : O_RDONLY) | O_CLOEXEC)
            guard placeholder >= 0 else { continue }
            if placeholder != descriptor {
                dup2(placeholder, descriptor)
                close(placeholder)
            } else {
                // The child processes the command starts (plugin workers) get descriptors 0–2 as they are.
                _ = fcntl(descriptor, F_SETFD, 0)
            }
        }
    }
}
