import CAnnalsSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The highest offset known to be durable, shared between processes through a small memory-mapped file
/// (`watermark` in the store directory; docs/FORMAT.md, "Watermark file").
///
/// ```
/// bytes 0–7    magic "ANNALSWM"
/// bytes 8–15   durable offset (native-endian u64, updated atomically)
/// bytes 16–23  commit sequence: bumped after every commit
/// bytes 24–27  wake word (u32): bumped whenever the durable offset rises; live readers in any process sleep on it
///              with a futex (FUTEX_WAIT on the shared mapping) and are woken with FUTEX_WAKE
/// ```
/// A commit becomes visible to readers as soon as LMDB publishes it; it is durable once the watermark covers it.
/// Readers take `min(watermark, last committed offset)`.
final class DurableWatermark: @unchecked Sendable {
    private static let magic: [UInt8] = Array("ANNALSWM".utf8)
    private static let size = 4096
    private let base: UnsafeMutableRawPointer

    /// Opens (creating when `writable`) the watermark file in `directory`; `nil` if a read-only open finds none.
    init?(directory: String, writable: Bool) throws(AnnalsError) {
        let path = directory + "/watermark"
        let fd = open(path, writable ? (O_RDWR | O_CREAT | O_CLOEXEC) : (O_RDONLY | O_CLOEXEC), 0o644)
        if fd < 0 {
            if !writable && errno == ENOENT { return nil }
            throw .io("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var status = stat()
        fstat(fd, &status)
        guard status.st_mode & S_IFMT == S_IFREG else {
            let kind = status.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
            throw .io("\(path) is \(kind), not the store's watermark file: remove it (a writer makes it again)")
        }
        if writable {
            // Blocks reserved before the mapping is written: `ftruncate` alone reserves none, and a store on a full
            // disk would then die of SIGBUS at the first write through the mapping instead of failing here.
            let failure = annals_reserve_blocks(fd, Int64(Self.size))
            guard failure == 0 else {
                throw .io(
                    "cannot reserve \(Self.size) bytes for \(path): \(String(cString: strerror(failure)))"
                        + (failure == ENOSPC ? " (free some space on the store's file system)" : ""))
            }
        } else if Int(status.st_size) < Self.size {
            return nil
        }
        let protection = writable ? (PROT_READ | PROT_WRITE) : PROT_READ
        guard let mapped = mmap(nil, Self.size, protection, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw .io("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        base = mapped
        if !writable && !isInitialized {
            // A file a writer created but never initialized (it died, or its disk was full): no watermark yet, as
            // for a store no writer has opened. Its zeros would otherwise say that nothing is durable.
            munmap(mapped, Self.size)
            return nil
        }
    }

    deinit { munmap(base, Self.size) }

    /// The magic as one native-endian word, written and read atomically.
    private static let magicWord: UInt64 = magic.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }

    private var magicPointer: UnsafeMutablePointer<UInt64> { base.assumingMemoryBound(to: UInt64.self) }

    /// Whether a writer has initialized the file: written its magic, after a durable offset readers may trust.
    var isInitialized: Bool { annals_atomic_load_u64(magicPointer) == Self.magicWord }

    /// Writes the magic, if the file does not have it yet. A writable open calls it once the durable offset holds the
    /// head it synced (``advance(to:)``), never before: readers map the file from then on and take its offset at
    /// face value, so an open that failed or died before would otherwise leave them a durable offset of 0.
    func markInitialized() {
        guard !isInitialized else { return }
        annals_atomic_store_u64(magicPointer, Self.magicWord)
    }

    private var durablePointer: UnsafeMutablePointer<UInt64> {
        (base + 8).assumingMemoryBound(to: UInt64.self)
    }

    private var sequencePointer: UnsafeMutablePointer<UInt64> {
        (base + 16).assumingMemoryBound(to: UInt64.self)
    }

    /// The durable offset as last published.
    var durableOffset: UInt64 { annals_atomic_load_u64(durablePointer) }

    /// The commit sequence number.
    var commitSequence: UInt64 { annals_atomic_load_u64(sequencePointer) }

    private var wakePointer: UnsafeMutablePointer<UInt32> {
        (base + 24).assumingMemoryBound(to: UInt32.self)
    }

    /// The wake word: it changes whenever the durable offset rises.
    var wakeWord: UInt32 { annals_atomic_load_u32(wakePointer) }

    /// Raises the durable offset to `offset` (never lowers it), and wakes live readers when it rose.
    func advance(to offset: UInt64) {
        let before = annals_atomic_load_u64(durablePointer)
        guard offset > before else { return }
        _ = annals_atomic_max_u64(durablePointer, offset)
        _ = annals_atomic_add_u32(wakePointer, 1)
        _ = annals_futex_wake_all(wakePointer)
    }

    /// Sleeps until the wake word differs from `seen`, or `timeout` seconds pass; returns at once if it already
    /// differs. Safe to call from any process that maps the file.
    func waitForChange(from seen: UInt32, timeout: Double) {
        _ = annals_futex_wait(wakePointer, seen, Int64(timeout * 1e9))
    }

    /// Lowers the durable offset from `stale` to `offset`, unless another writer changed it meanwhile (then its
    /// value is legitimate and stays). Only at open, when the log is shorter than the watermark because unsynced
    /// commits were lost in a system crash.
    func lower(from stale: UInt64, to offset: UInt64) {
        _ = annals_atomic_cas_u64(durablePointer, stale, offset)
    }

    /// Bumps the commit sequence.
    func noteCommit() {
        _ = annals_atomic_add_u64(sequencePointer, 1)
    }
}
